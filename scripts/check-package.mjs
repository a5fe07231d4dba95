#!/usr/bin/env node
/**
 * Checks the tarball that `npm publish` would upload, from the current dist/ (run
 * `npm run build` first): publint --strict, @arethetypeswrong/cli, and a files/size
 * budget so that the package cannot silently grow or ship a stray file.
 *
 *   node scripts/check-package.mjs            # packs once into a temp folder, checks, removes it
 *
 * The budgets are a ceiling, not a target: raise them in the same commit as the change
 * that needs it, and say why.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
// Measured at 129 kB packed / 438 kB unpacked / 62 files (2026-12, after the shared-chunk
// build); 187 kB / 632 kB once the server gained the dashboard (its page ships inline in
// the http entry, ESM and CJS), the revision storage and the schema; 209 kB / 704 kB with
// the named-URL proxy; 214 kB / 737 kB / 74 files with the CLI built as CommonJS (its
// chunks carry the CommonJS interop, dist/cli/package.json marks the bin as CommonJS, and
// the pid-file module is a chunk of its own, loaded only for named URLs); 240 kB / 830 kB
// / 73 files once the proxy parses and frames HTTP itself (head, framing, client,
// exchange, intake, ws-frames: about 25 kB of source, shipped in the http entry as ESM and
// as CommonJS); 253 kB / 867 kB / 73 files with the lock's waiter queue (lock-queue.ts),
// SHA-1 and tokens without node:crypto (sha1.ts, token.ts: a faster CLI start), stdout by
// file descriptor (fd-sink.ts), the kernel-clock lock entry and the proxy's split modules,
// each in the ESM and the CommonJS library chunks. README (79 kB) and CHANGELOG ship too.
const MAX_PACKED = 265_000;
const MAX_UNPACKED = 900_000;
const MAX_FILES = 75;
// Every file the package may carry. dist/ holds entries and the chunks they share.
const ALLOWED = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^CHANGELOG\.md$/,
  /^registry\.schema\.json$/,
  /^skill\/(SKILL|reference)\.md$/,
  /^dist\/[\w/-]+\.(js|cjs|d\.ts|d\.cts)$/,
  // Marks dist/cli/bin.js as CommonJS (see tsup.config.ts).
  /^dist\/cli\/package\.json$/,
];
// The files that package.json's exports and bin point at.
const REQUIRED = [
  'dist/index.js',
  'dist/index.cjs',
  'dist/index.d.ts',
  'dist/index.d.cts',
  'dist/http.js',
  'dist/http.cjs',
  'dist/cli/bin.js',
  'dist/cli/package.json',
  'dist/testing/vitest.js',
  'dist/testing/vitest-setup.js',
  'dist/testing/jest.cjs',
  'dist/testing/jest-setup.cjs',
  'dist/testing/jest-teardown.cjs',
  'LICENSE',
  'skill/SKILL.md',
];

const bin = (name) => join(ROOT, 'node_modules', '.bin', name);
const run = (file, args) => execFileSync(file, args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const problems = [];
const out = mkdtempSync(join(tmpdir(), 'portlease-pack-'));
try {
  // --ignore-scripts: dist/ is already built; prepack would build it a second time.
  const [info] = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', out]));
  const files = info.files.map((file) => file.path);
  for (const file of files) if (!ALLOWED.some((pattern) => pattern.test(file))) problems.push(`unexpected file in the tarball: ${file}`);
  for (const file of REQUIRED) if (!files.includes(file)) problems.push(`missing from the tarball: ${file}`);
  if (info.size > MAX_PACKED) problems.push(`packed size ${info.size} B exceeds ${MAX_PACKED} B`);
  if (info.unpackedSize > MAX_UNPACKED) problems.push(`unpacked size ${info.unpackedSize} B exceeds ${MAX_UNPACKED} B`);
  if (files.length > MAX_FILES) problems.push(`${files.length} files exceed ${MAX_FILES}`);
  console.log(`tarball: ${files.length} files, ${info.size} B packed, ${info.unpackedSize} B unpacked`);

  const tarball = join(out, info.filename);
  try {
    process.stdout.write(run(bin('publint'), ['--strict', tarball]));
  } catch (error) {
    process.stdout.write(`${error.stdout ?? ''}${error.stderr ?? ''}`);
    problems.push('publint --strict failed (see above)');
  }
  try {
    // portlease/vitest and portlease/vitest/setup are ESM only (vitest is): require() of
    // them works through Node's require(esm) (Node >= 20.19, our engines floor), which is
    // what the cjs-resolves-to-esm rule warns about.
    run(bin('attw'), [tarball, '--ignore-rules', 'cjs-resolves-to-esm', '--format', 'table-flipped']);
    console.log('attw: no problems (node10, node16 CJS and ESM, bundler)');
  } catch (error) {
    process.stdout.write(`${error.stdout ?? ''}${error.stderr ?? ''}`);
    problems.push('@arethetypeswrong/cli found problems (see above)');
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
if (problems.length > 0) {
  for (const problem of problems) console.error(`check-package: ${problem}`);
  process.exit(1);
}
