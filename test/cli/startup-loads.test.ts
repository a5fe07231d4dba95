import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { binEnv, bindOn, FIXTURES, portOf, tempHome, useBuiltBin } from '../helpers.js';

const bin = useBuiltBin();

/** Runs the bin with a preload that reports the builtins it loaded; its exit code, stdout and those. */
function traced(args: string[], home: string): { code: number | null; stdout: string; builtins: string[] } {
  const preload = join(FIXTURES, 'preload', 'builtins-at-exit.cjs');
  const run = spawnSync(process.execPath, ['-r', preload, bin(), ...args], { env: binEnv(home), encoding: 'utf8' });
  const line = run.stderr.split('\n').find((text) => text.startsWith('BUILTINS '));
  if (line === undefined) throw new Error(`no report of builtins; stderr: ${run.stderr}`);
  return { code: run.status, stdout: run.stdout, builtins: JSON.parse(line.slice('BUILTINS '.length)) };
}

// What a CLI call loads is most of what it costs (bench/RESULTS.md, "CLI start-up"). A
// probe through net's listen() would load net, the stream modules, cluster, child_process,
// dgram and dns (whose resolver reads /etc/resolv.conf): the bin probes without them.
describe('what `portlease reserve` loads', () => {
  const heavy = ['net', 'stream', 'cluster', 'child_process', 'dgram', 'dns'];

  it('a new lease probes, writes and prints its port without net, streams, cluster or dns', () => {
    const home = tempHome();
    const fresh = traced(['reserve', 'web'], home);
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toMatch(/^\d+\n$/);
    expect(fresh.builtins).toContain('fs'); // the report is real
    expect(fresh.builtins.filter((name) => heavy.includes(name))).toEqual([]);
    const again = traced(['reserve', 'web'], home);
    expect(again.stdout).toBe(fresh.stdout);
    expect(again.builtins.filter((name) => heavy.includes(name))).toEqual([]);
  });

  it('a port bound by another program is refused by the same probe (its message may load streams for stderr)', async () => {
    const server = await bindOn(0, '127.0.0.1');
    const busy = traced(['reserve', 'db', '--port', String(portOf(server))], tempHome());
    expect(busy.code).toBe(1);
    expect(busy.builtins.filter((name) => ['cluster', 'child_process', 'dgram', 'dns'].includes(name))).toEqual([]);
  });
});

// Node accepts its flags with underscores too (`--pending_deprecation`), and then wraps
// process.binding with DEP0111 just as for `--pending-deprecation`: the bin must see it.
describe('a new lease with pending deprecations asked for in any spelling node accepts', () => {
  const cases: Array<[string, string[], Record<string, string>]> = [
    ['node --pending-deprecation', ['--pending-deprecation'], {}],
    ['node --pending_deprecation', ['--pending_deprecation'], {}],
    ['NODE_OPTIONS=--pending_deprecation', [], { NODE_OPTIONS: '--pending_deprecation' }],
    ['NODE_OPTIONS=--pending_deprecation --throw-deprecation', [], { NODE_OPTIONS: '--pending_deprecation --throw-deprecation' }],
  ];
  it.each(cases)('%s: no DEP0111 warning, the lease is made', (_name, execArgs, env) => {
    const run = spawnSync(process.execPath, [...execArgs, bin(), 'reserve', 'web'], { env: binEnv(tempHome(), env), encoding: 'utf8' });
    expect(run.stderr).not.toContain('DEP0111');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^\d+\n$/);
  });
});
