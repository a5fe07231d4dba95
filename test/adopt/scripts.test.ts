import { expect, test } from 'vitest';
import { scanScripts } from '../../src/adopt/scripts.js';

const scan = (scripts: Record<string, string>) => scanScripts(JSON.stringify({ name: 'x', scripts }, null, 2), 'package.json').map((f) => [f.service, f.port]);

test.each<[string, number | null]>([
  ['next dev --port 3001', 3001],
  ['next dev --port=3001', 3001],
  ['next dev -p 3001', 3001],
  ['next dev -p=3001', 3001],
  ['PORT=4000 node server.js', 4000],
  ['cross-env PORT=4000 node server.js', 4000],
  ['set PORT=4000&& node server.js', 4000],
  ['API_PORT=4100 node api.js', 4100],
  ["vite --port '5173'", 5173],
  ['vite --port "5173"', 5173],
  ['vite --port 5173;echo', 5173],
  ['serve --port 0', null],
])('%s', (command, port) => {
  expect(scan({ dev: command })).toEqual([['dev', port]]);
});

test.each([
  'docker run -p 8080:80 nginx',
  'tsc -p tsconfig.json',
  'mkdir -p dist',
  'vite --port $PORT',
  'node server.js --port-file .port',
  'VITE_PORT=$PORT vite',
  'ssh -p2222 host',
  'echo --port 80x',
])('no port in %s', (command) => {
  expect(scan({ dev: command })).toEqual([]);
});

test('several ports in one script; script names become service names; lines', () => {
  const text = JSON.stringify({ scripts: { 'dev:all': 'concurrently "vite --port 5174" "node api.js -p 4200"', build: 'tsc' } }, null, 2);
  const found = scanScripts(text, 'package.json');
  expect(found.map((f) => [f.service, f.port, f.source.line, f.source.origin])).toEqual([
    ['dev-all', 5174, 3, 'dev:all'],
    ['dev-all-2', 4200, 3, 'dev:all'],
  ]);
});

test('a package.json without scripts finds nothing', () => {
  expect(scanScripts('{"name":"x"}', 'package.json')).toEqual([]);
  expect(scanScripts('null', 'package.json')).toEqual([]);
});
