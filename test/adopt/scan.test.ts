/**
 * The scanners over real-world-shaped fixture projects (test/fixtures/adopt/<project>/):
 * which services and host ports each finds, which entries it skips and why, and where.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { scanProjects } from '../../src/adopt/scan.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/adopt/', import.meta.url));

/** `service port` for a host port, `service - (skip)` for an entry without one. */
type Row = string;

async function scan(project: string, env: Record<string, string> = {}): Promise<Row[]> {
  const { found } = await scanProjects({ cwd: join(FIXTURES, project), env });
  return found.map((item) => (item.port === null ? `${item.service} - (skip)` : `${item.service} ${item.port}`));
}

const EXPECTED: Record<string, Row[]> = {
  // version "3.8": quoted and unquoted "H:C"; a service without ports; expose ignored.
  'compose-v3-basic': ['web 3000', 'postgres 5432', 'redis 6379', 'adminer 8080'],
  // version '2.4': "IP:H:C" with 127.0.0.1 and 0.0.0.0; a bare container port skipped.
  'compose-v2-legacy': ['mysql 3306', 'elasticsearch 9200', 'elasticsearch - (skip)', 'kibana 5601'],
  // compose.override.yaml appends ports: a second port of api, a host port for db.
  'compose-override': ['api 8000', 'api-9229 9229', 'db - (skip)', 'db 5433'],
  // ${VAR:-default} and ${VAR} from .env; a host port set by POSTGRES_PORT is named postgres.
  'compose-env-interpolation': ['postgres 15432', 'redis 16379', 'api 4000', 'postgres 15432', 'redis 16379'],
  // ${WEB_PORT} unset: skipped with a hint; ${METRICS_PORT-9090} takes its default.
  'compose-unset-variable': ['web - (skip)', 'metrics 9090'],
  // /udp, a range expanded port by port, tcp+udp on one port, a host range for one container port.
  'compose-ranges-udp': ['coturn 3478', 'coturn-49160 49160', 'coturn-49161 49161', 'coturn-49162 49162', 'dns 53', 'dns-53 53', 'balancer - (skip)'],
  // "[::1]:8080:80", "127.0.0.1:8443:443", and "127.0.0.1::5000" (docker picks the host port).
  'compose-ipv6': ['web 8080', 'web-443 8443', 'registry - (skip)'],
  // long syntax: published number and string, a named port, ${VAR:-default}, no published.
  'compose-long-syntax': ['gateway 8081', 'gateway-dashboard 8082', 'grafana 3001', 'statsd - (skip)'],
  // .env.local (which wins over .env in dev servers), .env, other modes, examples last;
  // quotes, export, comments, a bare PORT, an empty value.
  'dotenv-files': [
    'api 4001',
    'postgres 5432',
    'redis 6379',
    'api 4000',
    'port - (skip)',
    'vite-dev 5173',
    'test-db - (skip)',
    'mailhog 8025',
    'postgres 5432',
    'redis 6379',
    'api - (skip)',
  ],
  // --port N, -p N, --port=N, PORT=N, API_PORT=N, two ports in one script, --port 0;
  // `docker run -p 8080:80` and `tsc -p tsconfig.json` are not ports of the script.
  'package-scripts': [
    'dev 3001',
    'vite 5173',
    'preview 4173',
    'start 4000',
    'dev-api 4100',
    'dev-all 5174',
    'dev-all-2 4200',
    'storybook 6006',
    'any - (skip)',
  ],
  // compose + .env + package.json naming the same ports; network_mode: host skipped.
  'mixed-project': ['web 3000', 'db 5432', 'mailhog 1025', 'mailhog-8025 8025', 'sidecar - (skip)', 'db 5432', 'web 3001', 'dev 3000'],
  // compose file format v1: services at the top level.
  'compose-v1': ['web 5000'],
  // anchors, << merge keys, an aliased ports list; the override's !reset and !override.
  'compose-anchors-reset': ['jobs 9100', 'metrics 9200', 'metrics2 9200', 'legacy 8090'],
};

describe('scanProjects over fixture projects', () => {
  test.each(Object.entries(EXPECTED))('%s', async (project, expected) => {
    expect(await scan(project)).toEqual(expected);
  });

  test('there are at least 12 fixture projects', () => {
    expect(Object.keys(EXPECTED).length).toBeGreaterThanOrEqual(12);
  });

  test('findings say where they come from', async () => {
    const { found, files } = await scanProjects({ cwd: join(FIXTURES, 'compose-env-interpolation'), env: {} });
    expect(files).toEqual(['compose.yaml', '.env']);
    expect(found[0]).toMatchObject({
      service: 'postgres',
      port: 15432,
      container: 5432,
      variable: 'POSTGRES_PORT',
      source: { kind: 'compose', file: 'compose.yaml', line: 6, origin: 'db', text: '${POSTGRES_PORT:-5432}:5432' },
    });
    expect(found[3]?.source).toEqual({ kind: 'env', file: '.env', line: 2, origin: 'POSTGRES_PORT', text: 'POSTGRES_PORT=15432' });
  });

  test('shell variables win over .env, as in docker compose', async () => {
    expect(await scan('compose-env-interpolation', { POSTGRES_PORT: '25432', API_PORT: '24000' })).toEqual([
      'postgres 25432',
      'redis 16379',
      'api 24000',
      'postgres 15432',
      'redis 16379',
    ]);
  });

  test('an unset variable is skipped with a hint to set it', async () => {
    const { found } = await scanProjects({ cwd: join(FIXTURES, 'compose-unset-variable'), env: {} });
    expect(found[0]?.skip).toMatch(/\$\{WEB_PORT\} is not set.*portlease env/);
    expect(found[0]?.variable).toBe('WEB_PORT');
  });

  test('override files are merged after their base, in docker compose order', async () => {
    const { files, found } = await scanProjects({ cwd: join(FIXTURES, 'compose-override'), env: {} });
    expect(files).toEqual(['compose.yaml', 'compose.override.yaml']);
    expect(found.map((item) => `${item.source.file}:${item.source.line}`)).toEqual([
      'compose.yaml:5',
      'compose.override.yaml:6',
      'compose.yaml:9',
      'compose.override.yaml:9',
    ]);
  });

  test('single files can be named instead of a project folder', async () => {
    const { found, files } = await scanProjects({
      cwd: FIXTURES,
      paths: ['compose-ipv6/compose.yml', 'dotenv-files/.env.test'],
      env: {},
    });
    expect(files).toEqual([join('compose-ipv6', 'compose.yml'), join('dotenv-files', '.env.test')]);
    expect(found.map((item) => [item.service, item.port])).toEqual([
      ['web', 8080],
      ['web-443', 8443],
      ['registry', null],
      ['test-db', null],
      ['mailhog', 8025],
    ]);
  });

  test('malformed YAML: a SyntaxError naming the file and line', async () => {
    const error = await scanProjects({ cwd: join(FIXTURES, 'malformed-yaml'), env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyntaxError);
    expect((error as Error).message).toMatch(/^docker-compose\.yml:7:\d+: /);
    expect(error).toMatchObject({ file: 'docker-compose.yml', line: 7 });
  });

  test('malformed package.json: a SyntaxError naming the file and line', async () => {
    const error = await scanProjects({ cwd: join(FIXTURES, 'malformed-json'), env: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyntaxError);
    expect((error as Error).message).toMatch(/^package\.json:5:\d+: invalid JSON/);
  });

  test('a path that does not exist, or of no known kind, is a TypeError', async () => {
    await expect(scanProjects({ cwd: FIXTURES, paths: ['nope'] })).rejects.toThrow(TypeError);
    await expect(scanProjects({ cwd: FIXTURES, paths: ['../../adopt/scan.test.ts'] })).rejects.toThrow(/not a compose file/);
  });
});
