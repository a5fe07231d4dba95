import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// This example runs against the repository's build (`npm run build` at the root) instead
// of an installed copy: a real project has portlease in node_modules and no alias.
const dist = (file: string): string => fileURLToPath(new URL(`../../dist/${file}`, import.meta.url));

export default defineConfig({
  resolve: {
    alias: [
      { find: /^portlease\/vitest$/, replacement: dist('testing/vitest.js') },
      { find: /^portlease\/vitest\/setup$/, replacement: dist('testing/vitest-setup.js') },
      { find: /^portlease$/, replacement: dist('index.js') },
    ],
  },
  test: {
    globalSetup: ['./global-setup.ts'],
    include: ['test/**/*.test.ts'],
    // Load the build natively, as vitest does for any package in node_modules.
    server: { deps: { external: [/\/dist\//] } },
  },
});
