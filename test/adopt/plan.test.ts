import { expect, test } from 'vitest';
import type { FoundPort, PortSource } from '../../src/adopt/found.js';
import { describeHolder, mergeFound, planImport, type PlanState } from '../../src/adopt/plan.js';
import type { Lease } from '../../src/types.js';

const at = (file: string, line: number): PortSource => ({ kind: 'compose', file, line, origin: 'x', text: 'x' });
const found = (service: string, port: number | null, source = at('compose.yaml', 1), extra: Partial<FoundPort> = {}): FoundPort => ({
  service,
  port,
  source,
  ...extra,
});
let nextId = 1;
const lease = (app: string, service: string | null, port: number, extra: Partial<Lease> = {}): Lease => ({
  id: nextId++,
  port,
  app,
  instance: 'default',
  service,
  owner: null,
  expiresAt: null,
  createdAt: new Date(0).toISOString(),
  ...extra,
});
const state = (leases: Lease[] = [], bound: number[] = []): PlanState => ({ app: 'shop', instance: 'default', leases, bound: new Set(bound) });

test('register, claim, exists, conflict and skip', () => {
  const mine = lease('shop', 'redis', 6379);
  const theirs = lease('blog', 'db', 5432);
  const rows = planImport(
    [
      found('web', 3000),
      found('postgres', 5432),
      found('redis', 6379),
      found('api', 4000),
      found('worker', null, at('compose.yaml', 9), { skip: 'container port only' }),
    ],
    state([mine, theirs], [4000]),
  );
  expect(rows.map((row) => [row.service, row.port, row.action])).toEqual([
    ['web', 3000, 'register'],
    ['postgres', 5432, 'conflict'],
    ['redis', 6379, 'exists'],
    ['api', 4000, 'claim'],
    ['worker', null, 'skip'],
  ]);
  expect(rows[1]?.reason).toBe(`port 5432 is leased by blog/default/db (id ${theirs.id})`);
  expect(rows[1]?.holder).toBe(theirs);
  expect(rows[2]?.lease).toBe(mine);
  expect(rows[4]?.reason).toBe('container port only');
});

test('a service already leased on another port is a conflict, not a second lease', () => {
  const mine = lease('shop', 'web', 20001);
  const [row] = planImport([found('web', 3000)], state([mine]));
  expect(row).toMatchObject({ action: 'conflict', holder: mine });
  expect(row?.reason).toMatch(/web is already leased on port 20001/);
});

test('the same service in another app or instance does not count as ours', () => {
  const other = lease('shop', 'web', 20001, { instance: 'feature-x' });
  expect(planImport([found('web', 3000)], state([other]))[0]?.action).toBe('register');
});

test('anonymous holders are described by label and app', () => {
  const anon = lease('shop', null, 3000, { label: 'vitest' });
  const [row] = planImport([found('web', 3000)], state([anon]));
  expect(row?.action).toBe('conflict');
  expect(describeHolder(anon)).toBe(`anonymous lease "vitest" of shop (id ${anon.id})`);
});

test('one port found in several places is one row, named by the first', () => {
  const merged = mergeFound([
    found('postgres', 5432, at('compose.yaml', 6), { variable: 'POSTGRES_PORT' }),
    found('postgres', 5432, at('.env', 2)),
    found('dev', 5432, at('package.json', 4)),
  ]);
  expect(merged).toEqual([
    { service: 'postgres', port: 5432, variable: 'POSTGRES_PORT', sources: [at('compose.yaml', 6), at('.env', 2), at('package.json', 4)] },
  ]);
});

test('a second port under a taken name is skipped, naming the first', () => {
  const rows = planImport([found('api', 4000, at('.env', 3)), found('api', 4001, at('.env.local', 1))], state());
  expect(rows.map((row) => [row.service, row.port, row.action])).toEqual([
    ['api', 4000, 'register'],
    ['api', 4001, 'skip'],
  ]);
  expect(rows[1]?.reason).toMatch(/api is already imported with port 4000 \(\.env:3\)/);
});
