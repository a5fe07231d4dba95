/**
 * The README is tested: every code block of README.md and the example READMEs is run as
 * written in a temporary project that has the packed tarball installed, or says why not
 * (see test/readme/blocks.ts for the comments that classify blocks). A snippet that
 * drifts from the code fails here.
 *
 * The project gets the tarball of `npm pack` (once per run, from the dist/ that `npm test`
 * built) unpacked as node_modules/portlease, and the repository's own node_modules
 * linked beside it (so no registry is needed). Tools the snippets call but that must not
 * really run here (`next`, `docker`) are stubs on PATH that print what they were asked.
 */
import { execFileSync, spawnSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { makeTempDir, ROOT } from './helpers.js';
import { blocks, type Block } from './readme/blocks.js';

const STUBS: Record<string, string> = {
  next: 'echo "next $* (stub) on port $PORT"',
  docker: 'echo "docker $* (stub)"',
};
// Every key a lease may have (label only on anonymous leases, ttl with a ttl, claimed with claim).
const LEASE_KEYS = ['id', 'port', 'app', 'instance', 'service', 'label', 'owner', 'expiresAt', 'ttl', 'createdAt', 'claimed'];

let work: string;
let project: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  work = makeTempDir('portlease-readme-');
  project = join(work, 'shop');
  const modules = join(project, 'node_modules');
  mkdirSync(join(modules, '.bin'), { recursive: true });
  // The tarball, exactly as npm would publish it (dist/ is fresh: `npm test` builds first).
  // stderr piped: npm's notices (the file list) are not the test's business.
  const pack = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const packed = JSON.parse(pack) as [{ filename: string }];
  mkdirSync(join(modules, 'portlease'));
  execFileSync('tar', ['-xzf', join(work, packed[0].filename), '-C', join(modules, 'portlease'), '--strip-components=1']);
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name.startsWith('.') || name === 'portlease') continue;
    symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
  }
  for (const name of readdirSync(join(ROOT, 'node_modules', '.bin'))) {
    symlinkSync(join(ROOT, 'node_modules', '.bin', name), join(modules, '.bin', name));
  }
  symlinkSync('../portlease/dist/cli/bin.js', join(modules, '.bin', 'portlease'));
  writeFileSync(join(project, 'package.json'), `${JSON.stringify({ name: 'shop', private: true }, null, 2)}\n`);
  const stubs = join(work, 'stubs');
  mkdirSync(stubs);
  for (const [name, body] of Object.entries(STUBS)) {
    writeFileSync(join(stubs, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(stubs, name), 0o755);
  }
  // The user has Claude Code installed (for `skill install --global`).
  mkdirSync(join(work, 'home', '.claude'), { recursive: true });
  env = { PATH: `${join(modules, '.bin')}:${stubs}:${process.env['PATH']}`, NO_COLOR: '1', FORCE_COLOR: '0' };
  for (const [key, value] of Object.entries(process.env)) {
    // The runner's own variables would steer a vitest or jest started by a snippet.
    if (!/^(VITEST|__VITEST|JEST_WORKER_ID|PORTLEASE_|TINYPOOL|NODE_OPTIONS|PATH$|HOME$)/.test(key)) env[key] ??= value;
  }
  // A home of its own: the registry, npm's cache and `skill install --global` all stay in here.
  Object.assign(env, { HOME: join(work, 'home'), PORTLEASE_HOME: join(work, 'registry'), npm_config_offline: 'true', npm_config_update_notifier: 'false' });
});

afterAll(() => {
  // A snippet may have started `portlease serve --detach`: stop it, or it outlives the run
  // and holds port 51234 (the next run's snippet would find it taken).
  spawnSync(process.execPath, [join(project, 'node_modules', 'portlease', 'dist', 'cli', 'bin.js'), 'serve', '--stop'], {
    env,
    stdio: 'ignore',
    timeout: 15_000,
  });
  rmSync(work, { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  output: string;
}

/** Runs a snippet in the project: `sh` in bash, `js` in node. Never longer than 90 s. */
function run(code: string, kind: 'sh' | 'js'): Promise<Ran> {
  let file: string;
  let args: string[];
  if (kind === 'sh') {
    file = 'bash';
    args = ['-c', `set -euo pipefail\n${code}`];
  } else {
    // A snippet that imports, or awaits at the top, is an ES module; one that requires is CommonJS.
    const esm = /^\s*(import|export)\s|^\s*(const|let)?.*\bawait\b/m.test(code) && !/\brequire\(/.test(code);
    const script = join(project, esm ? 'snippet.mjs' : 'snippet.cjs');
    writeFileSync(script, code);
    file = process.execPath;
    args = [script];
  }
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** Runs every block of one Markdown file in order, in the shared project. */
function suite(file: string): void {
  const all = blocks(readFileSync(join(ROOT, file), 'utf8'), file);
  let last: Ran | undefined;
  let written: string[] = [];
  const name = (block: Block) => `${file}:${block.line} ${block.action.kind === 'skip' ? `(not run: ${block.action.reason})` : block.lang || 'text'}`;
  describe(file, () => {
    it.each(all.map((block) => [name(block), block] as const))('%s', async (_name, block) => {
      const { action } = block;
      switch (action.kind) {
        case 'skip':
          return;
        case 'json':
          expect(() => JSON.parse(block.code), name(block)).not.toThrow();
          return;
        case 'yaml':
          expect(() => parseYaml(block.code), name(block)).not.toThrow();
          return;
        case 'shape': {
          const keys = [...block.code.matchAll(/^\s*(\w+)\??:/gm)].map((match) => match[1]);
          expect(keys.sort(), name(block)).toEqual([...LEASE_KEYS].sort());
          return;
        }
        case 'output':
          expect(last, `${name(block)}: no block ran before this output`).toBeDefined();
          expect(last!.output.trim(), name(block)).toBe(block.code.trim());
          return;
        case 'file': {
          const path = join(project, action.path);
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, block.code);
          written.push(path);
          if (action.command === undefined) return;
          last = await run(action.command, 'sh');
          for (const done of written) rmSync(done, { force: true });
          written = [];
          expect(last.code, `${name(block)}: \`${action.command}\` failed:\n${last.output}`).toBe(0);
          return;
        }
        default:
          last = await run(block.code, action.kind);
          expect(last.code, `${name(block)} failed:\n${last.output}`).toBe(0);
      }
    });
  });
}

suite('README.md');
suite('examples/vitest-project/README.md');
suite('examples/jest-project/README.md');
