import { expect, test } from 'vitest';
import { dotenvVariables, parseDotenv, scanDotenv } from '../../src/adopt/dotenv.js';

test('parseDotenv: quotes, export, comments, escapes, references, CRLF', () => {
  const text = [
    '# comment',
    'A=1',
    'export B = two # trailing',
    "C='single # not a comment ${A}'",
    'D="double \\"quoted\\" ${A}\\n"',
    'E=${A}0',
    'F="multi',
    'line"',
    'not an assignment',
    'G=url#fragment',
    '\r',
  ].join('\r\n');
  const entries = parseDotenv(text);
  expect(entries.map((e) => [e.key, e.value, e.line])).toEqual([
    ['A', '1', 2],
    ['B', 'two', 3],
    ['C', 'single # not a comment ${A}', 4],
    ['D', 'double "quoted" 1\n', 5],
    ['E', '10', 6],
    ['F', 'multi\nline', 7],
    ['G', 'url#fragment', 10],
  ]);
  expect(dotenvVariables('A=1\nA=2\n')).toEqual({ A: '2' });
});

test('scanDotenv: *_PORT entries become services named by their stem', () => {
  const found = scanDotenv(
    [
      'POSTGRES_PORT=5432',
      'NEXT_PUBLIC_API_PORT="3001"',
      'export REDIS_PORT=6379 # cache',
      'PORT=3000',
      'SUPPORT=1',
      'DB_PORT=${NOPE}',
      'HTTP_PORT=99999',
      'DATABASE_URL=postgres://localhost:5432/db',
    ].join('\n'),
    '.env',
  );
  expect(found.map((f) => [f.service, f.port, f.skip === undefined ? '' : 'skip'])).toEqual([
    ['postgres', 5432, ''],
    ['next-public-api', 3001, ''],
    ['redis', 6379, ''],
    ['port', null, 'skip'],
    ['db', null, 'skip'],
    ['http', null, 'skip'],
  ]);
  expect(found[0]?.source).toEqual({ kind: 'env', file: '.env', line: 1, origin: 'POSTGRES_PORT', text: 'POSTGRES_PORT=5432' });
  expect(found[3]?.skip).toMatch(/PORT names no service/);
});
