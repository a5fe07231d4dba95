/** Registries for the dashboard's browser tests: a realistic machine, and 500 leases. */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import type { Lease, Registry } from '../../src/index.js';
import { FIXTURES, onCleanup, startNode, waitForLine } from '../helpers.js';

/** Listens on `port` on every address (closed after the test): the lease's service is up. */
export function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, () => {
      onCleanup(() => new Promise<void>((closed) => server.close(() => closed())));
      resolve(server);
    });
  });
}

/** Runs `fn` with the pid of a live child process, then kills it: an owner that died. */
async function withDoomedOwner<T>(fn: (pid: number) => Promise<T>): Promise<T> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    return await fn(child.pid!);
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

/**
 * Fills `registry` with what a developer's machine holds on a busy day: two worktrees of
 * one app with their databases and dev servers (some listening), a docker-compose stack
 * reserved durably from the CLI, a preview with a ttl, anonymous test-runner leases, and
 * one lease whose owner died while its port stays bound (stale).
 */
export async function realisticScene(registry: Registry): Promise<void> {
  const main = { app: 'shop', instance: 'main' };
  const feature = { app: 'shop', instance: 'feature-login' };
  // Dev servers are other processes: each owner row shows its own pid and command line.
  const web = await heldBy(registry.home, 'web', main);
  await listenOn(web.port);
  await registry.reserve('postgres', { ...main, durable: true });
  await registry.reserve('redis', { ...main, durable: true });
  const api = await registry.reserve('api', main);
  await listenOn(api.port);
  const featureWeb = await heldBy(registry.home, 'web', feature);
  await listenOn(featureWeb.port);
  await registry.reserve('postgres', { ...feature, durable: true });
  await registry.reserve('storybook', { ...feature, ttl: '2h', owner: false });
  const blog = await heldBy(registry.home, 'dev', { app: 'blog', instance: 'default' });
  await listenOn(blog.port);
  await registry.reserve('preview', { app: 'blog', instance: 'default', ttl: '45m', owner: false });
  for (const worker of [1, 2, 3]) await registry.reserve({ app: 'shop', instance: 'main', label: `vitest worker ${worker}` });
  const orphan = await withDoomedOwner((pid) => registry.reserve('mailhog', { app: 'infra', instance: 'default', owner: pid }));
  // A child of the dead owner still serves on it, so the lease is kept, and shown stale.
  await listenOn(orphan.port);
}

/** A named lease owned by a child process (test/fixtures/hold.mjs), killed after the test. */
async function heldBy(home: string, service: string, scope: { app: string; instance: string }): Promise<Lease> {
  const child = startNode(join(FIXTURES, 'hold.mjs'), [home, service], { PORTLEASE_APP: scope.app, PORTLEASE_INSTANCE: scope.instance });
  const [lease] = JSON.parse(await waitForLine(child, /^\[/)) as Lease[];
  return lease!;
}

/**
 * Writes a registry of `count` leases straight into a fresh home (one revision file), as
 * fast as a test needs: spread over 25 apps of 4 instances, a tenth of them expired.
 */
export function writeManyLeases(home: string, count: number): void {
  const dir = join(home, 'registry');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const now = Date.now();
  const leases = Array.from({ length: count }, (_, index) => ({
    id: index + 1,
    port: 20000 + index,
    app: `app-${String(index % 25).padStart(2, '0')}`,
    instance: `wt-${index % 4}`,
    service: index % 5 === 4 ? null : `service-${index}`,
    ...(index % 5 === 4 ? { label: `worker ${index}` } : {}),
    owner: null,
    expiresAt: index % 10 === 3 ? new Date(now - 60_000).toISOString() : index % 10 === 6 ? new Date(now + 3_600_000).toISOString() : null,
    createdAt: new Date(now - index * 60_000).toISOString(),
  }));
  const data = { schema: 1, rev: 1, nextId: count + 1, lineage: ['test'], leases, sticky: [] };
  writeFileSync(join(dir, 'rev-000000000001.json'), `${JSON.stringify(data)}\n`, { mode: 0o600 });
}
