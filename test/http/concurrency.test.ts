/**
 * port-registry hands two concurrent auto-assigns the same candidate and answers the loser
 * with a spurious 409. Here every POST goes through the registry lock: 50 at once get 50
 * distinct ports, also while the library reserves in parallel and a second server (its own
 * process) shares the registry.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { useBuiltBin } from '../cli/helpers.js';
import { alloc, call, type Harness, useServer } from './helpers.js';

const bin = useBuiltBin();

let h: Harness;
useServer((started) => {
  h = started;
});

it('50 parallel auto-assign POSTs for different services get 50 distinct ports, no 409, no 5xx', async () => {
  const replies = await Promise.all(Array.from({ length: 50 }, (_, index) => call(h.server, 'POST', '/v1/allocations', { body: alloc(`svc${index}`) })));
  expect(replies.map((reply) => reply.status)).toEqual(Array.from({ length: 50 }, () => 201));
  const ports = new Set(replies.map((reply) => reply.json.port));
  expect(ports.size).toBe(50);
  const ids = new Set(replies.map((reply) => reply.json.id));
  expect(ids.size).toBe(50);
  const listed = await call(h.server, 'GET', '/v1/allocations');
  expect(listed.json).toHaveLength(50);
});

it('stays collision-free against library reserves and a second server process on the same registry', async () => {
  // The built entry (npm test builds first; a private copy): another process, another copy of the code.
  const entry = pathToFileURL(join(dirname(dirname(bin())), 'http.js')).href;
  const script = `const { serve } = await import(${JSON.stringify(entry)});
    const server = await serve({ port: 0, home: process.argv[1] });
    process.stdout.write(server.port + '\\n');
    process.on('SIGTERM', () => server.close().then(() => process.exit(0)));`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, h.home], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const other = { port: Number(line.toString().trim()) } as Harness['server'];
    const viaOther = Array.from({ length: 20 }, (_, index) => call(other, 'POST', '/v1/allocations', { body: alloc(`b${index}`) }));
    const viaThis = Array.from({ length: 20 }, (_, index) => call(h.server, 'POST', '/v1/allocations', { body: alloc(`a${index}`) }));
    const viaLibrary = Array.from({ length: 10 }, (_, index) => h.registry.reserve(`lib${index}`, { app: 'shop', instance: 'main', durable: true }));
    const [others, these, leases] = await Promise.all([Promise.all(viaOther), Promise.all(viaThis), Promise.all(viaLibrary)]);
    for (const reply of [...others, ...these]) expect(reply.status).toBe(201);
    const ports = [...others, ...these].map((reply) => reply.json.port as number).concat(leases.map((lease) => lease.port));
    expect(new Set(ports).size).toBe(50);
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
});
