import { spawn } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import type { Lease } from '../../src/index.js';
import { cli, tempDir } from './helpers.js';

/** A process that has run and exited: its pid is dead. */
async function liveThenDead(): Promise<{ pid: number; kill: () => Promise<void> }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('spawn', resolve));
  return {
    pid: child.pid!,
    kill: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

describe('portlease prune', () => {
  test('removes leases of dead owners; --dry-run only shows them', async () => {
    const home = await tempDir();
    const owner = await liveThenDead();
    await cli(['reserve', 'keep'], { home });
    await cli(['reserve', 'gone', '--owner-pid', String(owner.pid)], { home });
    await owner.kill();

    const dry = await cli(['prune', '--dry-run'], { home });
    expect(dry.code).toBe(0);
    expect(dry.stdout.split('\n')[0]).toBe('Would remove 1 dead or expired lease.');
    expect(dry.stdout).toMatch(/gone/);
    const json = JSON.parse((await cli(['prune', '-n', '--json'], { home })).stdout) as Lease[];
    expect(json.map((lease) => lease.service)).toEqual(['gone']);

    const real = await cli(['prune'], { home });
    expect(real.stdout.split('\n')[0]).toBe('Removed 1 dead or expired lease.');
    expect((await cli(['prune'], { home })).stdout).toBe('Removed 0 dead or expired leases.\n');
    expect((await cli(['get', 'keep'], { home })).code).toBe(0);
  });

  test('nothing to prune in an empty home', async () => {
    const result = await cli(['prune', '--json'], { home: await tempDir() });
    expect(result).toEqual({ code: 0, stdout: '[]\n', stderr: '' });
  });
});
