/**
 * Pure input checks. Everything here throws `TypeError` (wrong kind of value) or
 * `RangeError` (right kind, wrong value) before any I/O happens.
 */
import { typeError, rangeError } from './errors.js';
import { BROWSER_UNSAFE_PORTS, DEFAULT_RANGE, WELL_KNOWN_PORTS } from './defaults.js';
import { NAME_RULE, nameProblem, showName, trimName } from './names.js';
import type { PortRange } from './types.js';

/**
 * Checks a service, app or instance name and returns it trimmed (as port-registry stores
 * it). Any string that is not blank after trimming is a name (`feature/login`, `my app`,
 * `café`, `a<&>b`); refused are only names over {@link NAME_MAX_LENGTH} characters and
 * characters that cannot be shown safely (control characters, line separators, bidi
 * controls, lone surrogates). The error states the rule.
 *
 * @example
 * checkName(' feature/login ', 'instance'); // 'feature/login'
 * checkName('a\u001b[2Jb', 'service');       // RangeError: … it contains U+001B (use 1-200 characters, …)
 */
export function checkName(value: unknown, what: string): string {
  if (typeof value !== 'string') throw typeError(`${what} must be a string, got ${describe(value)}`);
  const name = trimName(value);
  const problem = nameProblem(name);
  if (problem !== undefined) {
    const shown = showName(value.length > 40 ? `${value.slice(0, 40)}…` : value);
    throw rangeError(`${what} ${shown} is not a valid name: ${problem} (${NAME_RULE})`);
  }
  return name;
}

/** Checks a free-text label (display only): a string of at most 200 characters without control characters. */
export function checkLabel(value: unknown): string {
  if (typeof value !== 'string') throw typeError(`label must be a string, got ${describe(value)}`);
  // eslint-disable-next-line no-control-regex
  if (value.length > 200 || /[\u0000-\u001f\u007f]/.test(value)) {
    throw rangeError('label must be at most 200 characters without control characters');
  }
  return value;
}

/** Checks a TCP port number: an integer 1–65535. */
export function checkPort(value: unknown, what = 'port'): number {
  if (typeof value !== 'number') throw typeError(`${what} must be a number, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw rangeError(`${what} must be an integer from 1 to 65535, got ${value}`);
  }
  return value;
}

/**
 * Parses a port range: `[from, to]` or `'from-to'`.
 *
 * @example
 * parseRange('20000-20099'); // [20000, 20099]
 */
export function parseRange(value: unknown): PortRange {
  let pair: unknown[];
  if (typeof value === 'string') {
    const match = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(value);
    if (!match) throw rangeError(`range must look like 20000-29999, got ${JSON.stringify(value)}`);
    pair = [Number(match[1]), Number(match[2])];
  } else if (Array.isArray(value) && value.length === 2) {
    pair = value;
  } else {
    throw typeError(`range must be [from, to] or 'from-to', got ${describe(value)}`);
  }
  const from = checkPort(pair[0], 'range start');
  const to = checkPort(pair[1], 'range end');
  if (from > to) throw rangeError(`range ${from}-${to} is reversed: the start must not be above the end`);
  return [from, to];
}

/** The range to use: the option, else `PORTLEASE_RANGE`, else the default. */
export function resolveRange(option: unknown, env: Record<string, string | undefined>): PortRange {
  if (option !== undefined) return parseRange(option);
  const fromEnv = env['PORTLEASE_RANGE'];
  return fromEnv ? parseRange(fromEnv) : DEFAULT_RANGE;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
// Longest ttl: ten years, far inside Date's range and JSON's safe integers.
const MAX_TTL = 10 * 365 * UNITS['d']!;

/**
 * Parses a duration: milliseconds as a number, or a string such as `'500ms'`, `'30s'`,
 * `'15m'`, `'2h'`, `'7d'`. A string without a unit (`'90'`) is refused as ambiguous.
 *
 * @example
 * parseDuration('2h'); // 7_200_000
 */
export function parseDuration(value: unknown, what = 'ttl'): number {
  let ms: number;
  if (typeof value === 'number') {
    ms = value;
  } else if (typeof value === 'string') {
    const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(value);
    if (!match) throw rangeError(`${what} must look like 500ms, 30s, 15m, 2h or 7d, got ${JSON.stringify(value)}`);
    ms = Number(match[1]) * UNITS[match[2]!]!;
  } else {
    throw typeError(`${what} must be milliseconds or a string like '2h', got ${describe(value)}`);
  }
  if (!Number.isFinite(ms) || ms < 1 || ms > MAX_TTL) {
    throw rangeError(`${what} must be from 1 ms to 10 years, got ${String(value)}`);
  }
  return Math.round(ms);
}

/**
 * Formats milliseconds as the largest whole unit: `7200000` → `'2h'`.
 *
 * @example
 * formatDuration(90_000); // '90s'
 */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = UNITS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** Ports never handed out unless asked for by number: well-known services and browser-unsafe ports. */
export const SKIPPED_PORTS: ReadonlySet<number> = new Set([...WELL_KNOWN_PORTS, ...BROWSER_UNSAFE_PORTS]);

/** Checks an iterable of ports (for `exclude`). */
export function checkPortList(value: unknown, what: string): number[] {
  if (typeof value === 'number') return [checkPort(value, what)];
  if (value === null || typeof value !== 'object' || !(Symbol.iterator in value)) {
    throw typeError(`${what} must be a port or a list of ports, got ${describe(value)}`);
  }
  const ports = [...(value as Iterable<unknown>)].map((port) => checkPort(port, what));
  if (ports.length === 0) throw rangeError(`${what} must not be empty`);
  return ports;
}

/**
 * Refuses keys an options object does not know, naming the first one: a typo such as
 * `list({ ap: 'shop' })` must fail, not silently match everything.
 *
 * @example
 * checkKnownKeys({ ap: 'x' }, ['app', 'instance'], 'list()'); // TypeError: Unknown option "ap" of list() …
 */
export function checkKnownKeys(options: object, known: readonly string[], where: string): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw typeError(`Unknown option ${JSON.stringify(key)} of ${where} (known: ${known.join(', ')})`);
    }
  }
}

/** Short description of a value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'number') return `number ${value}`;
  return typeof value;
}
