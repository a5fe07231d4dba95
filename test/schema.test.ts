/**
 * registry.schema.json, the published JSON Schema of a revision file, against real
 * revision files written by the library (every kind of lease, a renewal, a release), and
 * against files the registry itself refuses.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { openRegistry } from '../src/index.js';
import { validateRegistry } from '../src/schema.js';
import { bindOn, ROOT, startNode, tempHome } from './helpers.js';

const SCHEMA = JSON.parse(readFileSync(join(ROOT, 'registry.schema.json'), 'utf8')) as Record<string, unknown>;

/** The schema with every object closed: a field the code writes but the schema does not document fails. */
function closed(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(closed);
  if (typeof node !== 'object' || node === null) return node;
  const copy = Object.fromEntries(
    Object.entries(node).map(([key, value]) => [
      key,
      key === 'properties' ? Object.fromEntries(Object.entries(value as object).map(([name, sub]) => [name, closed(sub)])) : closed(value),
    ]),
  );
  if ('properties' in copy) copy['additionalProperties'] = false;
  return copy;
}

const ajv = new Ajv({ strict: true, allErrors: true });
const validate = ajv.compile(SCHEMA);
const validateClosed = ajv.compile({ ...(closed(SCHEMA) as object), $id: 'closed' });

/** Every revision file in `home`, parsed. */
function revisions(home: string): Array<{ name: string; data: unknown }> {
  const dir = join(home, 'registry');
  return readdirSync(dir)
    .filter((name) => /^rev-\d+\.json$/.test(name))
    .map((name) => ({ name, data: JSON.parse(readFileSync(join(dir, name), 'utf8')) as unknown }));
}

describe('registry.schema.json', () => {
  it('accepts every revision the library writes, and documents every field it writes', async () => {
    const home = tempHome();
    const registry = openRegistry({ home });
    const scope = { app: 'shop', instance: 'main' };
    const owned = await registry.reserve('web', scope);
    await registry.reserve('db', { ...scope, durable: true });
    const preview = await registry.reserve('preview', { ...scope, ttl: '2h', owner: false });
    await registry.reserve('both', { ...scope, ttl: '1h' });
    await registry.reserve({ ...scope, label: 'vitest worker 1' });
    const bound = await bindOn(0, '127.0.0.1');
    const port = (bound.address() as { port: number }).port;
    await registry.reserve('running', { ...scope, port, claim: true });
    await registry.renew(preview, '3h');
    await registry.release(owned);
    const files = revisions(home);
    expect(files.length).toBeGreaterThanOrEqual(2);
    const newest = files.at(-1)!.data as { leases: Array<Record<string, unknown>>; sticky: unknown[] };
    // The newest holds each kind of record the schema describes.
    expect(newest.leases.some((lease) => lease['owner'] !== null && lease['expiresAt'] !== null)).toBe(true);
    expect(newest.leases.some((lease) => lease['label'] !== undefined && lease['service'] === null)).toBe(true);
    expect(newest.leases.some((lease) => lease['claimed'] === true)).toBe(true);
    expect(newest.leases.some((lease) => typeof lease['ttl'] === 'number')).toBe(true);
    expect(newest.sticky.length).toBeGreaterThan(0);
    // The closed copy does catch an undocumented field (at the top, in a lease, in an owner).
    const withOwner = newest.leases.find((lease) => lease['owner'] !== null)!;
    expect(validateClosed({ ...newest, extra: 1 })).toBe(false);
    expect(validateClosed({ ...newest, leases: [{ ...withOwner, extra: 1 }] })).toBe(false);
    expect(validateClosed({ ...newest, leases: [{ ...withOwner, owner: { ...(withOwner['owner'] as object), extra: 1 } }] })).toBe(false);
    for (const { name, data } of files) {
      expect(validate(data), `${name}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      expect(validateClosed(data), `${name}: ${ajv.errorsText(validateClosed.errors)}`).toBe(true);
    }
  });

  it.each([
    ['a port out of range', (data: any) => (data.leases[0].port = 70000)],
    ['a lease without createdAt', (data: any) => delete data.leases[0].createdAt],
    ['a time that is not ISO', (data: any) => (data.leases[0].createdAt = 'yesterday')],
    ['an owner without pid', (data: any) => (data.leases[0].owner = { start: null, boot: null, ns: null, host: 'h' })],
    ['a future schema', (data: any) => (data.schema = 2)],
    ['leases that is no array', (data: any) => (data.leases = {})],
  ])('refuses %s, as the registry does', async (_name, spoil) => {
    const home = tempHome();
    await openRegistry({ home }).reserve('web', { app: 'shop', instance: 'main' });
    const data = revisions(home).at(-1)!.data;
    spoil(data);
    expect(validate(data)).toBe(false);
    expect('kind' in validateRegistry(data)).toBe(true);
  });

  it('is published: in package.json files and exports as portlease/registry.schema.json', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { files: string[]; exports: Record<string, unknown> };
    expect(pkg.files).toContain('registry.schema.json');
    const result = await startNode('-e', ["console.log(require.resolve('portlease/registry.schema.json'))"]).done;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim()).toBe(join(ROOT, 'registry.schema.json'));
  });
});
