import { createServer } from 'node:net';
import { describe, expect, test } from 'vitest';
import { cli, tempDir } from './helpers.js';

describe('portlease free', () => {
  test('prints one port the OS can bind, not leased', async () => {
    const home = await tempDir();
    const result = await cli(['free'], { home });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^\d+\n$/);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(Number(result.stdout), resolve);
    });
    await new Promise((resolve) => server.close(resolve));
    expect((await cli(['list', '--all', '--json'], { home })).stdout).toBe('[]\n');
  });

  test('--count N prints N distinct ports; --json an array', async () => {
    const home = await tempDir();
    const lines = (await cli(['free', '--count', '5'], { home })).stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(5);
    expect(new Set(lines).size).toBe(5);
    const json = JSON.parse((await cli(['free', '-n', '3', '--json'], { home })).stdout) as number[];
    expect(json).toHaveLength(3);
    expect(json.every((port) => Number.isInteger(port))).toBe(true);
  });

  test.each([['0'], ['101'], ['two']])('--count %s is a usage error', async (count) => {
    expect((await cli(['free', '--count', count], { home: await tempDir() })).code).toBe(2);
  });
});
