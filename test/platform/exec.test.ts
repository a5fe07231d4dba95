import { describe, expect, test } from 'vitest';
import { onceWarner, systemRunner } from '../../src/platform/exec.js';

describe('systemRunner (real processes)', () => {
  const setup = () => {
    const warnings: string[] = [];
    const warner = onceWarner((message) => warnings.push(message));
    return { warnings, run: systemRunner(warner.warn) };
  };

  test('stdout of a command that works', () => {
    const { run, warnings } = setup();
    expect(run(process.execPath, ['-e', 'process.stdout.write("ok")'])).toBe('ok');
    expect(warnings).toEqual([]);
  });

  test('a missing tool: null and one warning, however often', () => {
    const { run, warnings } = setup();
    expect(run('portlease-no-such-tool', [])).toBeNull();
    expect(run('portlease-no-such-tool', ['again'])).toBeNull();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('is not installed or not on PATH');
  });

  test('a command that hangs is killed at its timeout: null, a warning', () => {
    const { run, warnings } = setup();
    expect(run(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { timeoutMs: 300 })).toBeNull();
    expect(warnings[0]).toContain('did not answer within 300 ms');
  });

  test('a non-zero exit: null, or its stdout when accepted', () => {
    const { run } = setup();
    const script = 'process.stdout.write("partial"); process.exit(1)';
    expect(run(process.execPath, ['-e', script])).toBeNull();
    expect(run(process.execPath, ['-e', script], { acceptFailure: true })).toBe('partial');
  });

  test('extra environment reaches the command', () => {
    const { run } = setup();
    expect(run(process.execPath, ['-e', 'process.stdout.write(process.env.LC_ALL ?? "")'], { env: { LC_ALL: 'C' } })).toBe('C');
  });
});
