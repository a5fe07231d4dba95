/**
 * Odd argument vectors, table-driven, in-process: unknown flags, missing values, empty
 * strings, huge numbers, unicode and `/` in names, `--home` at a file, a FIFO, a missing
 * folder or /proc, `--` misuse, special files as targets. Each must end in a usage error
 * (exit 2) or a typed operational error (exit 1) — never `E_UNEXPECTED`, never a stack
 * trace, nothing on stdout — and leave no lease behind when it fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { splitAtDashDash } from '../../src/cli/args.js';
import { openRegistry } from '../../src/index.js';
import { cli, makeTempDir, removeDir } from './helpers.js';
import { NEEDS } from '../os.js';

/** Placeholders replaced per run: HOME (a temp registry), FILE (a regular file), FIFO, MISSING (a folder that does not exist). */
interface Vector {
  argv: string[];
  /** Expected exit code(s). */
  code: number | readonly number[];
  /** Code expected in the error line, when it matters. */
  error?: string;
}

const HUGE = '99999999999999999999999';
const v = (code: Vector['code'], ...argv: string[]): Vector => ({ argv, code });
const e = (code: Vector['code'], error: string, ...argv: string[]): Vector => ({ argv, code, error });

const VECTORS: Vector[] = [
  // Unknown commands and flags, anywhere.
  e(2, 'E_USAGE', 'reserv', 'web'),
  e(2, 'E_USAGE', 'RESERVE', 'web'),
  e(2, 'E_USAGE', ''),
  e(2, 'E_USAGE', ' '),
  e(2, 'E_USAGE', '-'),
  e(2, 'E_USAGE', '---'),
  e(2, 'E_USAGE', '--bogus'),
  e(2, 'E_USAGE', '--all', 'list'),
  e(2, 'E_USAGE', '--ttl', '1h', 'reserve', 'web'),
  e(2, 'E_USAGE', 'reserve', 'web', '--tll', '1h'),
  e(2, 'E_USAGE', 'reserve', 'web', '-x'),
  e(2, 'E_USAGE', 'reserve', 'web', '--json=yes'),
  e(2, 'E_USAGE', 'list', '--al'),
  e(2, 'E_USAGE', 'list', 'extra'),
  e(2, 'E_USAGE', 'get', 'web', 'api'),
  e(2, 'E_USAGE', 'check', '--port', '1'),
  e(2, 'E_USAGE', 'free', '--bogus'),
  e(2, 'E_USAGE', 'prune', 'now'),
  e(2, 'E_USAGE', 'doctor', '--fix'),
  e(2, 'E_USAGE', 'skill'),
  e(2, 'E_USAGE', 'skill', 'uninstall'),
  e(2, 'E_USAGE', 'skill', 'install', 'extra'),
  e(2, 'E_USAGE', 'serve', '--bogus'),
  e(2, 'E_USAGE', 'import', '--bogus'),
  e(2, 'E_USAGE', 'env', '--bogus', 'web'),
  e(2, 'E_USAGE', 'release', '--bogus'),
  // Missing values and missing arguments.
  e(2, 'E_USAGE', '--home'),
  e(2, 'E_USAGE', '--json'),
  e(2, 'E_USAGE', '--json', '--home', 'HOME'),
  e(2, 'E_USAGE', 'reserve', 'web', '--ttl'),
  e(2, 'E_USAGE', 'reserve', 'web', '--port'),
  e(2, 'E_USAGE', 'reserve', 'web', '--range'),
  e(2, 'E_USAGE', 'reserve', 'web', '--home'),
  e(2, 'E_USAGE', 'list', '--app'),
  e(2, 'E_USAGE', 'get'),
  e(2, 'E_USAGE', 'check'),
  e(2, 'E_USAGE', 'release'),
  e(2, 'E_USAGE', 'env'),
  e(2, 'E_USAGE', 'env', 'web', '--write'),
  e(2, 'E_USAGE', 'run'),
  e(2, 'E_USAGE', 'run', 'web'),
  e(2, 'E_USAGE', 'run', 'web', '--port-file'),
  e(2, 'E_USAGE', 'serve', '--port'),
  // Empty strings.
  e(2, 'E_USAGE', 'reserve', ''),
  e(2, 'E_USAGE', 'reserve', 'web', '--ttl', ''),
  e(2, 'E_USAGE', 'reserve', 'web', '--port', ''),
  e(2, 'E_USAGE', 'reserve', 'web', '--range', ''),
  e(2, 'E_USAGE', 'reserve', 'web', '--app', ''),
  e(2, 'E_USAGE', 'reserve', 'web', '--instance', ''),
  e(2, 'E_USAGE', 'get', ''),
  e(2, 'E_USAGE', 'check', ''),
  e(2, 'E_USAGE', 'release', ''),
  e(2, 'E_USAGE', 'release', '--id', ''),
  e(2, 'E_USAGE', 'env', ''),
  e(2, 'E_USAGE', 'env', 'web', '--write', ''),
  e(2, 'E_USAGE', 'env', 'web', '--write', '   '),
  e(2, 'E_USAGE', 'env', 'web', '--format', ''),
  e(2, 'E_USAGE', 'run', '--', ''),
  e(2, 'E_USAGE', 'run', 'web', '--', ''),
  e(2, 'E_USAGE', 'run', 'web', '--port-file', '', '--', 'true'),
  e(2, 'E_USAGE', 'run', '', '--', 'true'),
  e(2, 'E_USAGE', 'list', '--service', ''),
  e(2, 'E_USAGE', 'list', '--home', ''),
  e(2, 'E_USAGE', 'reserve', 'web', '--home', ''),
  e(2, 'E_USAGE', '--home', '', 'reserve', 'web'),
  e(2, 'E_USAGE', 'import', '--home', ' '),
  e(2, 'E_USAGE', 'serve', '--host', ''),
  // Huge and malformed numbers.
  e(2, 'E_USAGE', 'reserve', 'web', '--port', HUGE),
  e(2, 'E_USAGE', 'reserve', 'web', '--port', '0'),
  e(2, 'E_USAGE', 'reserve', 'web', '--port', '65536'),
  e(2, 'E_USAGE', 'reserve', 'web', '--port', '-1'),
  e(2, 'E_USAGE', 'reserve', 'web', '--port', '1e3'),
  e(2, 'E_USAGE', 'reserve', 'web', '--port', '0x50'),
  e(2, 'E_USAGE', 'reserve', 'web', '--ttl', `${HUGE}h`),
  e(2, 'E_USAGE', 'reserve', 'web', '--ttl', '-1h'),
  e(2, 'E_USAGE', 'reserve', 'web', '--ttl', 'NaN'),
  e(2, 'E_USAGE', 'reserve', 'web', '--range', `1-${HUGE}`),
  e(2, 'E_USAGE', 'reserve', 'web', '--range', '30000-20000'),
  e(2, 'E_USAGE', 'reserve', 'web', '--range', 'a-b'),
  e(2, 'E_USAGE', 'reserve', 'web', '--owner-pid', HUGE),
  e(2, 'E_USAGE', 'reserve', 'web', '--owner-pid', '-5'),
  e(2, 'E_USAGE', 'check', HUGE),
  e(2, 'E_USAGE', 'check', '1e400'),
  e(2, 'E_USAGE', 'check', '-1'),
  e(2, 'E_USAGE', 'free', '--count', HUGE),
  e(2, 'E_USAGE', 'free', '--count', '0'),
  e(2, 'E_USAGE', 'release', '--id', HUGE),
  e(2, 'E_USAGE', 'release', '--id', '0'),
  e(2, 'E_USAGE', 'release', '--port', '70000'),
  e(2, 'E_USAGE', 'serve', '--port', '70000'),
  e(2, 'E_USAGE', 'serve', '--port', HUGE),
  e(2, 'E_USAGE', 'env', 'web', '--range', '0-0'),
  // Names too long for the registry (valid odd names are below, with the ones that succeed).
  e(2, 'E_USAGE', 'reserve', 'x'.repeat(10_000)),
  e(2, 'E_USAGE', 'env', 'web', 'WEB'),
  e(2, 'E_USAGE', 'run', 'web', 'web', '--', 'true'),
  // Write targets: checked before any lease, special files refused unread.
  e(1, 'E_FILE', 'env', 'web', '--write', '/nonexistent-dir/.env'),
  e(1, 'E_FILE', 'env', 'web', '--write', '/dev/full'),
  e(1, 'E_FILE', 'env', 'web', '--write', '/dev/null'),
  e(1, 'E_FILE', 'env', 'web', '--write', '/'),
  e(1, 'E_FILE', 'env', 'web', '--write', 'FIFO'),
  e(1, 'E_FILE', 'env', 'web', '--write', 'FILE/.env'),
  e(1, 'E_FILE', 'env', 'web', '--write', 'MISSING/.env'),
  e(1, 'E_FILE', 'run', '--port-file', '/nonexistent-dir/f', '--', 'true'),
  e(1, 'E_FILE', 'run', 'web', '--port-file', '/dev/full', '--', 'true'),
  e(1, 'E_FILE', 'run', 'web', '--port-file', 'FIFO', '--', 'true'),
  e(1, 'E_FILE', 'run', 'web', '--port-file', 'HOME', '--', 'true'),
  // --home that cannot hold a registry.
  e(1, 'E_STORAGE', 'reserve', 'web', '--home', 'FILE'),
  e(1, 'E_STORAGE', 'reserve', 'web', '--home', 'FIFO'),
  e(1, 'E_STORAGE', 'reserve', 'web', '--home', '/proc'),
  e(1, 'E_STORAGE', 'reserve', 'web', '--home', '/dev/null'),
  e(1, 'E_STORAGE', '--home', '/proc', 'reserve', 'web'),
  e(1, 'E_STORAGE', 'env', 'web', '--home', '/proc'),
  e(1, 'E_STORAGE', 'run', 'web', '--home', '/proc', '--', 'true'),
  e(1, 'E_STORAGE', 'release', 'web', '--home', 'FILE'),
  e(1, 'E_STORAGE', 'prune', '--home', 'FIFO'),
  e(1, 'E_STORAGE', 'serve', '--port', '0', '--home', '/proc'),
  e(1, 'E_STORAGE', 'serve', '--detach', '--port', '0', '--home', 'FILE'),
  e(1, 'E_STORAGE', 'import', '--home', '/proc'),
  v([0, 1], 'list', '--home', 'FILE'),
  v([0, 1], 'list', '--home', 'FIFO'),
  v([0, 1], 'get', 'web', '--home', '/proc'),
  v([0, 1], 'list', '--home', 'MISSING'),
  // `--` misuse.
  e(2, 'E_USAGE', 'run', '--'),
  e(2, 'E_USAGE', 'run', 'web', '--'),
  e(2, 'E_USAGE', 'list', '--', 'extra'),
  e(2, 'E_USAGE', 'run', '--json', 'web', '--', 'true'),
  e(2, 'E_USAGE', '--', 'list'),
  e(127, 'E_SPAWN', 'run', 'web', '--', 'definitely-not-a-command-1b2c'),
  e(127, 'E_SPAWN', 'run', '--', '--'),
];

let dirs: { home: string; file: string; fifo: string; missing: string };
let base: string;

// One set of fixtures for the whole table (tempDir() would remove them after each test).
beforeAll(async () => {
  base = makeTempDir('portlease-odd-');
  const file = join(base, 'a-file');
  await writeFile(file, 'not a folder\n');
  const fifo = join(base, 'a-fifo');
  spawnSync('mkfifo', [fifo]);
  dirs = { home: join(base, 'home'), file, fifo, missing: join(base, 'missing', 'deeper') };
  await mkdir(dirs.home);
});
afterAll(() => removeDir(base));

function substitute(word: string): string {
  return word
    .replace(/^HOME/, dirs.home)
    .replace(/^FILE/, dirs.file)
    .replace(/^FIFO/, dirs.fifo)
    .replace(/^MISSING/, dirs.missing);
}

describe.skipIf(NEEDS.linuxFiles)(`${VECTORS.length} odd argument vectors`, () => {
  test('there are at least 100', () => {
    expect(VECTORS.length).toBeGreaterThanOrEqual(100);
  });

  test.each(VECTORS.map((vector) => [JSON.stringify(vector.argv).slice(0, 80), vector] as const))('%s', async (_name, vector) => {
    const argv = vector.argv.map(substitute);
    const result = await cli(argv, { home: dirs.home, cwd: base });
    const codes = typeof vector.code === 'number' ? [vector.code] : vector.code;
    expect(codes, result.stderr).toContain(result.code);
    expect(result.stderr).not.toContain('E_UNEXPECTED');
    expect(result.stderr).not.toMatch(/^\s+at /m);
    const jsonAsked = splitAtDashDash(argv).head.includes('--json');
    if (result.code !== 0 && !jsonAsked) expect(result.stdout).toBe('');
    if (vector.error !== undefined)
      expect(jsonAsked ? result.stdout : result.stderr).toContain(jsonAsked ? `"code":"${vector.error}"` : `portlease: ${vector.error}:`);
    if (result.code !== 0 && existsSync(join(dirs.home, 'registry'))) {
      // A failed command leaves no lease behind.
      expect(await openRegistry({ home: dirs.home }).list()).toEqual([]);
    }
    if (result.code !== 0) {
      // --json turns the same failure into one error document on stdout, nothing on stderr
      // (except for run's command, which is not ours to format).
      const json = await cli(['--json', ...argv], { home: dirs.home, cwd: base });
      // run refuses --json (its output is the command's): a usage error first.
      expect(json.code).toBe(argv.includes('run') ? 2 : result.code);
      if (json.code === 1 || json.code === 2) {
        expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: expect.stringMatching(/^E_/) } });
        expect(json.stderr).toBe('');
      }
    }
  });
});

/**
 * Names that look odd but are valid, as port-registry accepts them (any non-blank string,
 * trimmed): each works in a fresh home, or fails only because nothing is leased yet.
 */
const VALID_ODD: Vector[] = [
  v(0, 'reserve', 'wéb'),
  v(0, 'reserve', '🚀'),
  v(0, 'reserve', 'a/b'),
  v(0, 'reserve', '../etc'),
  v(0, 'reserve', 'web\n'),
  v(0, 'reserve', 'web', '--app', 'a/b'),
  v(0, 'reserve', 'web', '--instance', 'ü'),
  v(0, 'reserve', '--', '--web'),
  v(0, 'env', 'a/b'),
  v(0, 'run', 'a/b', '--', 'true'),
  v(0, 'list', '--app', '../x'),
  e(1, 'E_NOT_FOUND', 'get', 'a/b'),
  e(1, 'E_NOT_FOUND', 'get', 'web', '--app', '日本'),
  e(1, 'E_NOT_FOUND', 'get', '--', '--json'),
  v([0, 1], 'release', 'a/b'),
];

describe(`${VALID_ODD.length} odd but valid names`, () => {
  test.each(VALID_ODD.map((vector) => [JSON.stringify(vector.argv), vector] as const))('%s', async (_name, vector) => {
    const home = makeTempDir('portlease-odd-valid-');
    try {
      const result = await cli(vector.argv, { home, cwd: home });
      const codes = typeof vector.code === 'number' ? [vector.code] : vector.code;
      expect(codes, result.stderr).toContain(result.code);
      expect(result.stderr).not.toContain('E_UNEXPECTED');
      expect(result.stderr).not.toMatch(/^\s+at /m);
      if (vector.error !== undefined) expect(result.stderr).toContain(`portlease: ${vector.error}:`);
      if (['reserve', 'env'].includes(vector.argv[0]!)) expect(result.stdout).not.toBe('');
    } finally {
      removeDir(home);
    }
  });
});
