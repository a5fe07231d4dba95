/**
 * Flag parsing shared by every command: a thin wrapper over `node:util.parseArgs` that adds
 * `--json`, `--home` and `--help` to each command, turns parser errors into short
 * {@link UsageError}s (exit code 2), and validates numbers before any I/O.
 */
import { parseArgs } from 'node:util';
import { closest } from './suggest.js';

/**
 * A mistake on the command line: unknown flag, missing value, bad number. The dispatcher
 * prints it with a pointer to `--help` and exits with code 2.
 *
 * @example
 * throw new UsageError('release needs a target: a service, --id, --port or --app');
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  /** Stable code, for `--json` error output. */
  readonly code = 'E_USAGE';
}

/** One flag of a command, as `node:util.parseArgs` understands it. */
export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
}

/** The flags every command accepts. */
export const COMMON_FLAGS = {
  json: { type: 'boolean' },
  home: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Record<string, FlagSpec>;

type Specs = Record<string, FlagSpec>;
type ValueOf<S extends FlagSpec> = S['type'] extends 'boolean'
  ? S['multiple'] extends true
    ? boolean[]
    : boolean
  : S['multiple'] extends true
    ? string[]
    : string;

/** Parsed flags: each present flag with its value, absent ones `undefined`. */
export type Flags<S extends Specs> = {
  [K in keyof S | keyof typeof COMMON_FLAGS]?: K extends keyof S
    ? ValueOf<S[K]>
    : K extends keyof typeof COMMON_FLAGS
      ? ValueOf<(typeof COMMON_FLAGS)[K]>
      : never;
};

/** The result of {@link parseFlags}. */
export interface Parsed<S extends Specs> {
  flags: Flags<S>;
  positionals: string[];
}

/**
 * Parses a command's arguments strictly: unknown flags, missing values and (unless
 * `maxPositionals` allows them) stray arguments throw a {@link UsageError}.
 *
 * @example
 * const { flags, positionals } = parseFlags(argv, { ttl: { type: 'string' } }, { maxPositionals: 1 });
 */
export function parseFlags<S extends Specs>(argv: readonly string[], specs: S, options: { maxPositionals?: number } = {}): Parsed<S> {
  const max = options.maxPositionals ?? 0;
  let result: ReturnType<typeof parseArgs>;
  try {
    result = parseArgs({
      args: [...argv],
      options: { ...COMMON_FLAGS, ...specs },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError(shortParseError(error, { ...COMMON_FLAGS, ...specs }));
  }
  const positionals = result.positionals;
  if (positionals.length > max) {
    const extra = positionals[max];
    throw new UsageError(max === 0 ? `Unexpected argument '${extra}'` : `Too many arguments (unexpected '${extra}')`);
  }
  // `--home ''` would resolve to the working folder: never what was meant.
  const home = result.values['home'];
  if (typeof home === 'string' && home.trim() === '') throw new UsageError('--home needs a folder, got an empty string');
  return { flags: result.values as Flags<S>, positionals };
}

/**
 * node's messages are long and mention `--` escapes that do not apply here; keep the gist,
 * with the closest known flag for a typo.
 */
function shortParseError(error: unknown, specs: Specs): string {
  const message = error instanceof Error ? error.message : String(error);
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (unknown) {
    const typed = unknown[1] ?? '';
    const names = Object.keys(specs).map((name) => `--${name}`);
    const guess = typed.startsWith('--') ? closest(typed.split('=')[0] ?? typed, names) : undefined;
    return `Unknown option '${typed}'${guess === undefined ? '' : `. Did you mean \`${guess}\`?`}`;
  }
  const missing = /^Option '([^' ]+)[^']*' argument missing/.exec(message);
  if (missing) return `Option '${missing[1]}' needs a value`;
  return message.split('. ')[0] ?? message;
}

/**
 * Splits `argv` at the first `--`: flags and services before it, the command after it
 * (for `portlease run web -- next dev`). `rest` is `undefined` when there is no `--`.
 *
 * @example
 * splitAtDashDash(['web', '--', 'node', 'server.js']); // { head: ['web'], rest: ['node', 'server.js'] }
 */
export function splitAtDashDash(argv: readonly string[]): { head: string[]; rest: string[] | undefined } {
  const index = argv.indexOf('--');
  if (index === -1) return { head: [...argv], rest: undefined };
  return { head: argv.slice(0, index), rest: argv.slice(index + 1) };
}

/**
 * Parses an integer flag value in `[min, max]`, or throws a {@link UsageError} naming the flag.
 *
 * @example
 * parseInteger('--count', '3', 1, 1000); // 3
 */
export function parseInteger(name: string, value: string, min: number, max: number): number {
  const trimmed = value.trim();
  const number = /^\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new UsageError(`${name} must be an integer from ${min} to ${max}, got '${value}'`);
  }
  return number;
}

/**
 * Parses a port number (1-65535).
 *
 * @example
 * parsePort('--port', '20001'); // 20001
 */
export function parsePort(name: string, value: string): number {
  return parseInteger(name, value, 1, 65_535);
}

/**
 * Parses `--port 3000` or `--port 3000,3001` (ports in order of preference).
 *
 * @example
 * parsePortList('--port', '3000,3001'); // [3000, 3001]
 */
export function parsePortList(name: string, value: string): number[] {
  const parts = value.split(',').filter((part) => part.trim() !== '');
  if (parts.length === 0) throw new UsageError(`${name} needs a port number`);
  return parts.map((part) => parsePort(name, part));
}

/**
 * The `--app` / `--instance` a command was given, as reserve options: the registry
 * (opened with the command's env and cwd) fills in the rest.
 *
 * @example
 * namesOf({ app: 'shop' }); // { app: 'shop' }
 */
export function namesOf(flags: { app?: string | undefined; instance?: string | undefined }): { app?: string; instance?: string } {
  const names: { app?: string; instance?: string } = {};
  if (flags.app !== undefined) names.app = flags.app;
  if (flags.instance !== undefined) names.instance = flags.instance;
  return names;
}

/**
 * True when `--json` appears among the flags (before any `--`), for error formatting.
 *
 * @example
 * wantsJson(['run', 'web', '--', 'tool', '--json']); // false
 */
export function wantsJson(argv: readonly string[]): boolean {
  return splitAtDashDash(argv).head.includes('--json');
}

/**
 * True when `--help`/`-h` appears among the flags (before any `--`).
 *
 * @example
 * wantsHelp(['web', '-h']); // true
 */
export function wantsHelp(argv: readonly string[]): boolean {
  const { head } = splitAtDashDash(argv);
  return head.includes('--help') || head.includes('-h');
}
