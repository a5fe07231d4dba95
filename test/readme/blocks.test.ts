import { describe, expect, it } from 'vitest';
import { blocks } from './blocks.js';

describe('README blocks', () => {
  it('reads the comment above each block as its action', () => {
    const markdown = [
      '<!-- not run: needs Playwright -->',
      '```ts',
      'x',
      '```',
      '<!-- file: a.ts; then: npx vitest run -->',
      '```ts',
      'y',
      '```',
      '',
      '```sh',
      'echo hi',
      '```',
      '<!-- output -->',
      '```',
      'hi',
      '```',
    ].join('\n');
    expect(blocks(markdown, 'R.md').map((block) => [block.line, block.action])).toEqual([
      [2, { kind: 'skip', reason: 'needs Playwright' }],
      [6, { kind: 'file', path: 'a.ts', command: 'npx vitest run' }],
      [10, { kind: 'sh' }],
      [14, { kind: 'output' }],
    ]);
  });

  it('refuses a block nobody said what to do with, and one never closed', () => {
    expect(() => blocks('```ts\nx\n```\n', 'R.md')).toThrow(/R\.md:1: a ```ts block needs a comment/);
    expect(() => blocks('```sh\nx\n', 'R.md')).toThrow(/R\.md:1: the code block is never closed/);
  });
});
