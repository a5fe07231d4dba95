/**
 * The `serve` command in-process through `main(argv, io)`: it must take its home and
 * PORTLEASE_* settings from `io.env` (the CLI helpers trap process.env.PORTLEASE_HOME) and
 * stop on `io.signals`.
 */
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openRegistry } from '../../src/api.js';
import { main } from '../../src/cli/main.js';
import type { PortleaseServer } from '../../src/http/index.js';
import { fakeSignals, freeRun, Sink, tempDir } from '../cli/helpers.js';
import { alloc, call } from './helpers.js';

it('serves the registry of io.env with its range until a signal, then cleans up', async () => {
  const home = await tempDir('portlease-serve-cmd-');
  const from = await freeRun(2);
  const signals = fakeSignals();
  const stdout = new Sink();
  const stderr = new Sink();
  const running = main(['serve', '--port', '0', '--json'], {
    stdout,
    stderr,
    env: { PORTLEASE_HOME: home, PORTLEASE_RANGE: `${from}-${from + 1}` },
    cwd: home,
    signals: signals.source,
  });
  while (!stdout.text.includes('}\n')) await new Promise((resolve) => setTimeout(resolve, 20));
  const info = JSON.parse(stdout.text);
  expect(info).toMatchObject({ state: 'running', pid: process.pid, home });
  expect(existsSync(join(home, 'serve.pid'))).toBe(true);

  const created = await call({ port: info.port } as PortleaseServer, 'POST', '/v1/allocations', { body: alloc('db') });
  expect(created.status).toBe(201);
  expect([from, from + 1]).toContain(created.json.port);
  expect(existsSync(join(home, 'registry'))).toBe(true);

  expect(signals.listeners()).toBe(1);
  signals.emit('SIGINT');
  expect(await running).toBe(0);
  expect(signals.listeners()).toBe(0);
  expect(existsSync(join(home, 'serve.pid'))).toBe(false);
  expect(stderr.text).toContain('SIGINT, stopping');
  await expect(call({ port: info.port } as PortleaseServer, 'GET', '/healthz')).rejects.toThrow();
});

it('--response-timeout bounds how long a named URL waits for its backend (504), and a bad one is a usage error', async () => {
  const home = await tempDir('portlease-serve-cmd-');
  const lease = await openRegistry({ home }).reserve('silent', { app: 'shop', instance: 'default', durable: true });
  // Accepts and never answers.
  const silent = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(lease.port, '127.0.0.1', resolve));
  const signals = fakeSignals();
  const stdout = new Sink();
  const running = main(['serve', '--port', '0', '--json', '--response-timeout', '300ms'], {
    stdout,
    stderr: new Sink(),
    env: { PORTLEASE_HOME: home },
    cwd: home,
    signals: signals.source,
  });
  try {
    while (!stdout.text.includes('}\n')) await new Promise((resolve) => setTimeout(resolve, 20));
    const { port } = JSON.parse(stdout.text);
    // With the default (2 minutes) this request would outlive the test.
    const status = await new Promise<number>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/', agent: false, headers: { host: `silent.shop.localhost:${port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(504);
  } finally {
    signals.emit('SIGINT');
    expect(await running).toBe(0);
    silent.close();
  }

  const stderr = new Sink();
  const code = await main(['serve', '--port', '0', '--response-timeout', 'soon'], { stdout: new Sink(), stderr, env: { PORTLEASE_HOME: home }, cwd: home });
  expect(code).toBe(2);
  expect(stderr.text).toContain('--response-timeout must look like 500ms, 30s, 15m, 2h or 7d');
});
