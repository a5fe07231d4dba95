import { expect, test } from 'vitest';
import { interpolate } from '../../src/adopt/interpolate.js';

const vars = { SET: 'value', EMPTY: '', PORT: '8080' };

test.each<[string, string]>([
  ['plain', 'plain'],
  ['$SET', 'value'],
  ['${SET}', 'value'],
  ['a${SET}b', 'avalueb'],
  ['${UNSET:-dflt}', 'dflt'],
  ['${EMPTY:-dflt}', 'dflt'],
  ['${EMPTY-dflt}', ''],
  ['${UNSET-dflt}', 'dflt'],
  ['${SET:+alt}', 'alt'],
  ['${EMPTY:+alt}', ''],
  ['${EMPTY+alt}', 'alt'],
  ['${UNSET+alt}', ''],
  ['${UNSET:-${PORT}}', '8080'],
  ['${UNSET:-${ALSO_UNSET:-9}}', '9'],
  ['$$SET', '$SET'],
  ['$$', '$'],
  ['cost: $5', 'cost: $5'],
  ['${UNTERMINATED', '${UNTERMINATED'],
])('%s → %s', (text, expected) => {
  expect(interpolate(text, vars).value).toBe(expected);
});

test('spans say where each top-level variable landed', () => {
  const result = interpolate('127.0.0.1:${PORT}:80', vars);
  expect(result.spans).toEqual([{ start: 10, end: 14, name: 'PORT' }]);
  expect(result.value.slice(10, 14)).toBe('8080');
});

test('missing variables and :? errors are reported', () => {
  expect(interpolate('${A}:${B:-1}', {}).missing).toEqual(['A']);
  expect(interpolate('${A:?needs A}', {}).errors).toEqual(['A: needs A']);
  expect(interpolate('${A?}', {}).errors).toEqual(['A: required variable is not set']);
  expect(interpolate('${A?x}', { A: '' }).errors).toEqual([]);
});
