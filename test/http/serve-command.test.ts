/**
 * The `serve` command in-process through `main(argv, io)`: it must take its home and
 * PORTLEASE_* settings from `io.env` (the CLI helpers trap process.env.PORTLEASE_HOME) and
 * stop on `io.signals`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
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
