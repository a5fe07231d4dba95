import { describe, expect, test } from 'vitest';
import { formatEnv, mergeDotenv } from '../../src/cli/dotenv.js';

describe('mergeDotenv', () => {
  test('replaces in place, appends the rest, keeps everything else', () => {
    const text = '# c\nA_PORT=1\n  export B_PORT = 2\nOTHER=x\n';
    expect(mergeDotenv(text, { A_PORT: 10, B_PORT: 20, C_PORT: 30 })).toBe('# c\nA_PORT=10\n  export B_PORT=20\nOTHER=x\nC_PORT=30\n');
  });

  test('drops later duplicates of a merged name', () => {
    expect(mergeDotenv('A=1\nB=2\nA=3\n', { A: 9 })).toBe('A=9\nB=2\n');
  });

  test('keeps CRLF line endings and a missing final newline is added', () => {
    expect(mergeDotenv('X=1\r\nA=1\r\n', { A: 2 })).toBe('X=1\r\nA=2\r\n');
    expect(mergeDotenv('X=1', { A: 2 })).toBe('X=1\nA=2\n');
  });

  test('empty file, commented-out assignments and look-alikes are not touched', () => {
    expect(mergeDotenv('', { A: 1 })).toBe('A=1\n');
    expect(mergeDotenv('# A=0\nAA=0\nA_=0\n', { A: 1 })).toBe('# A=0\nAA=0\nA_=0\nA=1\n');
  });

  test('exported appends `export ` to new lines only', () => {
    expect(mergeDotenv('A=1\n', { A: 2, B: 3 }, { exported: true })).toBe('A=2\nexport B=3\n');
  });
});

describe('formatEnv', () => {
  test('dotenv, shell, json', () => {
    expect(formatEnv({ A_PORT: 1, B_PORT: 2 }, 'dotenv')).toBe('A_PORT=1\nB_PORT=2\n');
    expect(formatEnv({ A_PORT: 1 }, 'shell')).toBe('export A_PORT=1\n');
    expect(JSON.parse(formatEnv({ A_PORT: 1 }, 'json'))).toEqual({ A_PORT: 1 });
  });
});
