import { defineConfig } from 'tsup';

// One entry per public subpath of package.json "exports" (plus the CLI bin).
export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    target: 'node20',
    sourcemap: false,
    splitting: true,
  },
]);
