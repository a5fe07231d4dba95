import { expect, test } from 'vitest';
import { classifyFile, orderFiles } from '../../src/adopt/discover.js';

test.each<[string, string | null]>([
  ['compose.yaml', 'compose'],
  ['compose.yml', 'compose'],
  ['docker-compose.yml', 'compose'],
  ['docker-compose.yaml', 'compose'],
  ['docker-compose.override.yml', 'compose'],
  ['compose.dev.yaml', 'compose'],
  ['docker-compose.ci.yml', 'compose'],
  ['.env', 'env'],
  ['.env.local', 'env'],
  ['.env.production', 'env'],
  ['.env.swp', null],
  ['.env.local.bak', null],
  ['.envrc', null],
  ['package.json', 'package'],
  ['package-lock.json', null],
  ['mkdocs.yml', null],
  ['composer.json', null],
])('%s is %s', (name, kind) => {
  expect(classifyFile(name)).toBe(kind);
});

test('compose files in merge order: base, overrides, then the rest', () => {
  expect(orderFiles(['docker-compose.prod.yml', 'docker-compose.override.yml', 'docker-compose.yml'], 'compose')).toEqual([
    'docker-compose.yml',
    'docker-compose.override.yml',
    'docker-compose.prod.yml',
  ]);
});

test('dotenv files by dev-server precedence, examples last', () => {
  expect(orderFiles(['.env.example', '.env', '.env.test', '.env.local', '.env.development', '.env.development.local'], 'env')).toEqual([
    '.env.development.local',
    '.env.local',
    '.env.development',
    '.env',
    '.env.test',
    '.env.example',
  ]);
});
