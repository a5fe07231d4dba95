import { describe, expect, it } from 'vitest';
import { registryData, ROOT, startNode, tempHome } from './helpers.js';

// The built package, loaded the ways users load it: `require` (CommonJS, with the
// ESM-only lowdb and get-port underneath: Node ≥ 20.19 loads them with require(esm)) and
// `import` by the package's own name through its "exports" map.
describe('the built package', () => {
  it('works from CommonJS, and a reservation persists to disk', async () => {
    const home = tempHome();
    const code = `require(${JSON.stringify(`${ROOT}/dist/index.cjs`)}).openRegistry({ home: ${JSON.stringify(home)} }).reserve('cjs', { app: 'a', instance: 'i' }).then((l) => console.log(l.port))`;
    const result = await startNode('-e', [code]).done;
    expect(result.code, result.stderr).toBe(0);
    const registry = registryData(home);
    expect(registry.sticky[0]!.port).toBe(Number(result.stdout.trim()));
  });

  it.each(['portlease', 'portlease/http', 'portlease/vitest/setup', 'portlease/jest', 'portlease/jest/setup'])('%s imports by name', async (name) => {
    const code = `import(${JSON.stringify(name)}).then((m) => console.log(Object.keys(m).length))`;
    const child = startNode('--input-type=module', ['-e', code]);
    const result = await child.done;
    expect(result.code, result.stderr).toBe(0);
    expect(Number(result.stdout.trim())).toBeGreaterThan(0);
  });

  it('instanceof PortleaseError holds across the ESM and CommonJS builds loaded side by side', async () => {
    const home = tempHome();
    // One process, both builds: an app that imports portlease next to a dependency that requires it.
    const code = `
      const cjs = require(${JSON.stringify(`${ROOT}/dist/index.cjs`)});
      import(${JSON.stringify(`${ROOT}/dist/index.js`)}).then(async (esm) => {
        const failure = (api) => api.openRegistry({ home: ${JSON.stringify(home)} }).renew(999, '1h').catch((error) => error);
        const [fromCjs, fromEsm] = [await failure(cjs), await failure(esm)];
        console.log(JSON.stringify([
          esm.PortleaseError !== cjs.PortleaseError,
          fromCjs instanceof esm.PortleaseError, fromEsm instanceof cjs.PortleaseError,
          esm.isPortleaseError(fromCjs, 'E_NOT_FOUND'), cjs.isPortleaseError(fromEsm, 'E_NOT_FOUND'),
          new Error('x') instanceof esm.PortleaseError, Object.keys(fromEsm).includes('code'),
        ]));
      });`;
    const result = await startNode('-e', [code]).done;
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([true, true, true, true, true, false, true]);
  });
});
