import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { cli, tempDir } from './helpers.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function freePort(home: string): Promise<number> {
  return Number((await cli(['free'], { home })).stdout);
}

describe('portlease check', () => {
  test('a free port: exit 0', async () => {
    const home = await tempDir();
    const port = await freePort(home);
    const result = await cli(['check', String(port)], { home });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${port} is free\n  registry  no live lease\n  os        not bound\n`);
  });

  test('a leased port: exit 1, names the holder', async () => {
    const home = await tempDir();
    const port = (await cli(['reserve', 'web'], { home })).stdout.trim();
    const result = await cli(['check', port], { home });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`${port} is taken`);
    expect(result.stdout).toContain(`leased by testapp/default/web (id 1, port ${port}, durable)`);
    expect(result.stdout).toContain('os        not bound');
  });

  test('a bound port: exit 1, with the listening process where the OS shows it', async () => {
    const home = await tempDir();
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const result = await cli(['check', String(port)], { home });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('registry  no live lease');
    expect(result.stdout).toMatch(/os {8}bound/);
    if (process.platform === 'linux') {
      expect(result.stdout).toContain(`127.0.0.1 by pid ${process.pid} (`);
    }
    const json = JSON.parse((await cli(['check', String(port), '--json'], { home })).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ port, free: false, bound: true, holder: null });
    if (process.platform === 'linux') {
      expect(json.listeners).toEqual([expect.objectContaining({ address: '127.0.0.1', port, pid: process.pid })]);
    }
  });

  test('--json for a free port', async () => {
    const home = await tempDir();
    const port = await freePort(home);
    const result = await cli(['check', String(port), '--json'], { home });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ port, free: true, bound: false, holder: null, listeners: [] });
  });

  test.each([[['check']], [['check', '0']], [['check', '65536']], [['check', 'http']], [['check', '1', '2']]])('%j is a usage error', async (argv) => {
    expect((await cli(argv, { home: await tempDir() })).code).toBe(2);
  });
});
