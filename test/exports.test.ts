/**
 * The public surface, pinned: every entry's runtime exports, as the built package has them,
 * and the types each entry's .d.ts exports. Widening an entry is a decision — update these
 * lists, the README and CHANGELOG.md together.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT, tempHome } from './helpers.js';

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

/** The type-only exports of each entry (no `HomeOptions`: no function of `portlease` takes a home per call). */
const TYPES: Record<string, string[]> = {
  'index.d.ts': [
    'ContextOptions',
    'ErrorCode',
    'HeldLease',
    'Lease',
    'LeaseFilter',
    'ListenOptions',
    'OsFreePortOptions',
    'Owner',
    'PortCheck',
    'PortRange',
    'Registry',
    'RegistryReport',
    'ReleaseTarget',
    'ReserveOptions',
    'ScopeOptions',
    'ServiceInput',
    'UrlOptions',
    'WaitOptions',
    'WithPortOptions',
  ],
  'http.d.ts': ['Allocation', 'PortleaseServer', 'ServeOptions'],
  'testing/vitest.d.ts': ['PortleaseContext', 'WorkerPortOptions'],
  'testing/vitest-setup.d.ts': ['ProvideTarget', 'ProvidedPorts', 'SetupPortsOptions', 'Teardown'],
  'testing/jest.d.ts': ['WorkerPortOptions'],
  'testing/jest-setup.d.ts': ['SetupPortsOptions', 'Teardown'],
  'testing/jest-teardown.d.ts': [],
};

const COMPILER: ts.CompilerOptions = {
  strict: true,
  exactOptionalPropertyTypes: true,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  skipLibCheck: true,
  noEmit: true,
};

/** Every entry's .d.ts and .d.cts, in one program (one for each would take seconds apiece). */
let declarations: ts.Program | undefined;

/** The exports of a built declaration file that are types only (no runtime value). */
function typeExports(file: string): string[] {
  declarations ??= ts.createProgram(
    Object.keys(TYPES)
      .flatMap((entry) => [entry, entry.replace(/\.d\.ts$/, '.d.cts')])
      .map((entry) => `${ROOT}/dist/${entry}`)
      .filter((path) => existsSync(path)),
    COMPILER,
  );
  const program = declarations;
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(file)!);
  if (module === undefined) throw new Error(`${file} is not a module`);
  return checker
    .getExportsOfModule(module)
    .filter((symbol) => {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      return (target.flags & ts.SymbolFlags.Value) === 0;
    })
    .map((symbol) => symbol.name)
    .sort();
}

describe('the public exports of the built package', () => {
  it.each(Object.keys(ENTRIES))('dist/%s', async (entry) => {
    const module = (await import(`${ROOT}/dist/${entry}`)) as Record<string, unknown>;
    expect(Object.keys(module).sort()).toEqual(ENTRIES[entry]);
  });

  it.each(Object.keys(TYPES))('the types of dist/%s (and of its .d.cts)', (entry) => {
    expect(typeExports(`${ROOT}/dist/${entry}`)).toEqual(TYPES[entry]);
    const cjs = `${ROOT}/dist/${entry.replace(/\.d\.ts$/, '.d.cts')}`;
    if (existsSync(cjs)) expect(typeExports(cjs)).toEqual(TYPES[entry]);
  });

  it('per-call options have no home (a compile error); the surfaces that open a registry keep theirs', () => {
    const dist = (entry: string) => JSON.stringify(join(ROOT, 'dist', entry));
    // Every `@ts-expect-error` must meet an error: an unused one is itself an error (TS2578).
    const source = `import { createServer } from 'node:net';
import { checkPort, inspect, list, listen, lookup, openRegistry, prune, release, renew, reserve, reserveAll, waitFor, withPort } from ${dist('index.js')};
import { serve } from ${dist('http.js')};
import { setupPorts } from ${dist('testing/vitest-setup.js')};
import { workerPort } from ${dist('testing/vitest.js')};
const home = '/tmp/x';
const registry = openRegistry({ home, env: {}, cwd: '/tmp', lock: {} });
// @ts-expect-error
void reserve('web', { home });
// @ts-expect-error
void reserve({ home });
// @ts-expect-error
void registry.reserve('web', { home });
// @ts-expect-error
void reserveAll(['web'], { home });
// @ts-expect-error
void reserveAll([{ service: 'web', home }]);
// @ts-expect-error
void release({ app: 'a', home });
// @ts-expect-error
void release('web', { home });
// @ts-expect-error
void renew(1, '1h', { home });
// @ts-expect-error
void lookup('web', { home });
// @ts-expect-error
void waitFor('web', { home });
// @ts-expect-error
void list({ home });
// @ts-expect-error
void registry.list({ home });
// @ts-expect-error
void prune({ home });
// @ts-expect-error
void withPort(() => 1, { home });
// @ts-expect-error
void listen(createServer(), 'web', { home });
// @ts-expect-error
void checkPort(1, { home });
// @ts-expect-error
void inspect({ home });
// @ts-expect-error
void reserve('web', { env: {} });
void serve({ port: 0, home });
void setupPorts(['db'], { home });
void workerPort('w', { home });
void registry.inspect();
`;
    const file = join(tempHome(), 'use.ts');
    writeFileSync(file, source);
    const diagnostics = ts.getPreEmitDiagnostics(ts.createProgram([file], { ...COMPILER, types: ['node'] }));
    expect(diagnostics.map((diagnostic) => `${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`)).toEqual([]);
  });
});
