/**
 * The public surface, pinned: every entry's runtime exports, as the built package has them.
 * Widening an entry is a decision — update this list, the README and CHANGELOG.md together.
 */
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

const ENTRIES: Record<string, string[]> = {
  'index.js': [
    'PortleaseError',
    'checkPort',
    'getOsFreePort',
    'inspect',
    'isPortleaseError',
    'list',
    'listen',
    'lookup',
    'openRegistry',
    'prune',
    'release',
    'renew',
    'reserve',
    'reserveAll',
    'urlOf',
    'waitFor',
    'withPort',
  ],
  'http.js': ['DEFAULT_SERVE_HOST', 'DEFAULT_SERVE_PORT', 'serve'],
  'testing/vitest.js': ['port', 'workerLease', 'workerPort'],
  'testing/vitest-setup.js': ['setupPorts'],
  'testing/jest.js': ['port', 'workerLease', 'workerPort'],
  'testing/jest-setup.js': ['setupPorts', 'teardownPorts'],
  'testing/jest-teardown.js': ['default', 'teardownPorts'],
};

describe('the public exports of the built package', () => {
  it.each(Object.keys(ENTRIES))('dist/%s', async (entry) => {
    const module = (await import(`${ROOT}/dist/${entry}`)) as Record<string, unknown>;
    expect(Object.keys(module).sort()).toEqual(ENTRIES[entry]);
  });
});
