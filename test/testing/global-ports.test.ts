import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { openRegistry } from '../../src/index.js';
import { holdPorts } from '../../src/testing/global-ports.js';
import { readPorts } from '../../src/testing/services.js';
import { tempHome } from '../helpers.js';

const saved = { ...process.env };

afterEach(() => {
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
});

describe('holdPorts', () => {
  test('reserves distinct anonymous leases owned by this process, publishes and restores env', async () => {
    const home = tempHome();
    process.env['PORTLEASE_PORT_DB'] = 'before';
    const held = await holdPorts(['db', 'api'], { home }, 'vitest');
    expect(held.ports.db).not.toBe(held.ports.api);
    expect(held.leases.db).toMatchObject({ port: held.ports.db, service: null, label: 'vitest db' });
    expect(held.leases.db?.owner?.pid).toBe(process.pid);
    expect(structuredClone(held.leases)).toEqual(held.leases); // provide() needs this
    expect(process.env['PORTLEASE_PORT_DB']).toBe(String(held.ports.db));
    expect(JSON.parse(process.env['PORTLEASE_PORTS']!)).toEqual(held.ports);
    expect(process.env['PORTLEASE_HOME']).toBe(home);
    expect((await openRegistry({ home }).list()).map((lease) => lease.port).sort()).toEqual(Object.values(held.ports).sort());

    await held.close();
    expect(await openRegistry({ home }).list()).toEqual([]);
    expect(process.env['PORTLEASE_PORT_DB']).toBe('before');
    expect(process.env['PORTLEASE_PORTS']).toBeUndefined();
    expect(process.env['PORTLEASE_HOME']).toBe(saved['PORTLEASE_HOME']);
  });

  test('publishes names with /, spaces, accents and <&> under predictable variables', async () => {
    const home = tempHome();
    const long = 'x'.repeat(200);
    const held = await holdPorts(['feature/login', 'my app', 'café', 'a<&>b', long], { home }, 'vitest');
    expect(process.env['PORTLEASE_PORT_FEATURE_LOGIN']).toBe(String(held.ports['feature/login']));
    expect(process.env['PORTLEASE_PORT_MY_APP']).toBe(String(held.ports['my app']));
    expect(process.env['PORTLEASE_PORT_CAFE']).toBe(String(held.ports['café']));
    expect(process.env['PORTLEASE_PORT_A_B']).toBe(String(held.ports['a<&>b']));
    expect(readPorts(process.env)).toEqual(held.ports);
    // The label "vitest <name>" is cut to the 200 characters a label may have.
    expect(held.leases[long]?.label).toBe(`vitest ${long}`.slice(0, 200));
    await held.close();
  });

  test('a second setup in the same process (jest projects) adds to what the first published', async () => {
    const home = tempHome();
    const first = await holdPorts(['db'], { home }, 'jest');
    const second = await holdPorts(['api'], { home }, 'jest');
    expect(JSON.parse(process.env['PORTLEASE_PORTS']!)).toEqual({ db: first.ports.db, api: second.ports.api });
    await second.close();
    expect(JSON.parse(process.env['PORTLEASE_PORTS']!)).toEqual({ db: first.ports.db });
    await first.close();
    expect(process.env['PORTLEASE_PORTS']).toBeUndefined();
  });

  test('runs onReady with the ports, and its teardown before the release', async () => {
    const home = tempHome();
    const seen: string[] = [];
    const held = await holdPorts(
      ['web'],
      {
        home,
        env: false,
        async onReady(ports, leases) {
          seen.push(`ready ${ports['web'] === leases['web']?.port}`);
          return async () => {
            seen.push(`teardown with ${(await openRegistry({ home }).list()).length} lease`);
          };
        },
      },
      'jest',
    );
    expect(process.env['PORTLEASE_PORTS']).toBeUndefined();
    await held.close();
    expect(seen).toEqual(['ready true', 'teardown with 1 lease']);
    expect(await openRegistry({ home }).list()).toEqual([]);
  });

  test('a failing onReady releases what was reserved', async () => {
    const home = tempHome();
    await expect(holdPorts(['a', 'b'], { home, onReady: () => Promise.reject(new Error('server did not start')) }, 'vitest')).rejects.toThrow(
      'server did not start',
    );
    expect(await openRegistry({ home }).list()).toEqual([]);
    expect(process.env['PORTLEASE_PORTS']).toBeUndefined();
  });

  test('bad input fails before any I/O', async () => {
    const home = join(tempHome(), 'never-created');
    await expect(holdPorts(['ok', 'not\u0007ok'], { home }, 'vitest')).rejects.toThrow(RangeError);
    await expect(holdPorts(['a'], { home, onReady: 1 as never }, 'vitest')).rejects.toThrow(TypeError);
    const { existsSync } = await import('node:fs');
    expect(existsSync(home)).toBe(false);
  });
});
