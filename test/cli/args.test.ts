import { describe, expect, test } from 'vitest';
import { namesOf, parseFlags, parseInteger, parsePortList, splitAtDashDash, UsageError, wantsHelp, wantsJson } from '../../src/cli/args.js';

describe('args', () => {
  test('parseFlags adds --json, --home and --help to every command', () => {
    const { flags, positionals } = parseFlags(['web', '--json', '--home', '/h', '--ttl', '2h'], { ttl: { type: 'string' } }, { maxPositionals: 1 });
    expect(flags).toEqual({ json: true, home: '/h', ttl: '2h' });
    expect(positionals).toEqual(['web']);
    expect(parseFlags(['-h'], {}).flags.help).toBe(true);
  });

  test('strict: unknown flags, missing values, stray arguments are UsageErrors', () => {
    expect(() => parseFlags(['--nope'], {})).toThrow(new UsageError("Unknown option '--nope'"));
    expect(() => parseFlags(['--tll'], { ttl: { type: 'string' } })).toThrow(new UsageError("Unknown option '--tll'. Did you mean `--ttl`?"));
    expect(() => parseFlags(['--ttl'], { ttl: { type: 'string' } })).toThrow("Option '--ttl' needs a value");
    expect(() => parseFlags(['a'], {})).toThrow("Unexpected argument 'a'");
    expect(() => parseFlags(['a', 'b'], {}, { maxPositionals: 1 })).toThrow("Too many arguments (unexpected 'b')");
    expect(() => parseFlags(['--json=yes'], {})).toThrow(UsageError);
  });

  test('splitAtDashDash', () => {
    expect(splitAtDashDash(['web', '--', 'node', '--json'])).toEqual({ head: ['web'], rest: ['node', '--json'] });
    expect(splitAtDashDash(['web'])).toEqual({ head: ['web'], rest: undefined });
    expect(wantsJson(['run', '--', 'x', '--json'])).toBe(false);
    expect(wantsHelp(['web', '--', 'node', '-h'])).toBe(false);
    expect(wantsHelp(['web', '-h'])).toBe(true);
  });

  test('numbers', () => {
    expect(parseInteger('--count', ' 3 ', 1, 10)).toBe(3);
    for (const bad of ['0', '11', '1.5', '-1', '', '1e3', '0x10']) {
      expect(() => parseInteger('--count', bad, 1, 10)).toThrow('--count must be an integer from 1 to 10');
    }
    expect(parsePortList('--port', '3000,3001,')).toEqual([3000, 3001]);
    expect(() => parsePortList('--port', ',')).toThrow('--port needs a port number');
  });

  test('--app and --instance pass on as given (the registry, opened with the injected env and cwd, fills in the rest); a blank --home is refused', () => {
    expect(namesOf({})).toEqual({});
    expect(namesOf({ app: 'a', instance: 'i' })).toEqual({ app: 'a', instance: 'i' });
    expect(() => parseFlags(['--home', ' '], {})).toThrow(new UsageError('--home needs a folder, got an empty string'));
  });
});
