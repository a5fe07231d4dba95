/**
 * What a service, app or instance name may be, and every way portlease turns one into
 * something else: a registry key, an environment variable name, a table cell. Pure and
 * dependency-free, so that the CLI's formatting can use it without loading the library.
 *
 * Names follow port-registry: any string that is not blank after trimming
 * (`feature/login`, `my app`, `café`, `a<&>b`). Only what cannot be stored or shown safely
 * is refused (see {@link nameProblem}).
 */

/** Longest service, app or instance name, in characters (code points) after trimming. @default 200 */
export const NAME_MAX_LENGTH = 200;

/** The rule, as every refusal states it. */
export const NAME_RULE = `use 1-${NAME_MAX_LENGTH} characters, not blank, without control characters, line separators or bidi controls`;

// What Go's strings.TrimSpace trims (Unicode White_Space), so that a name means the same
// here as in port-registry, which trims before storing. Not JS's trim(): that also trims
// U+FEFF and keeps U+0085.
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const EDGE_SPACE = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, 'g');

// Characters that cannot be shown safely: control characters (C0, DEL, C1: terminal
// escapes, line breaks), line and paragraph separators, bidi controls (they reorder what a
// terminal or log shows), and lone surrogates (not Unicode, so not storable as UTF-8).
const UNSAFE_CHARS = '\\p{Cc}\\u2028\\u2029\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069\\p{Cs}';
const UNSAFE = new RegExp(`[${UNSAFE_CHARS}]`, 'u');
/** Matches every character {@link nameProblem} refuses (global: for `replace`). */
export const UNSAFE_GLOBAL = new RegExp(`[${UNSAFE_CHARS}]`, 'gu');

/**
 * Trims a name as port-registry does (Go's `strings.TrimSpace`).
 *
 * @example
 * trimName('  web '); // 'web'
 */
export function trimName(value: string): string {
  return value.replace(EDGE_SPACE, '');
}

/**
 * Why a trimmed name cannot be used (`'it is blank'`, `'it contains U+001B'`,
 * `'it has 201 characters'`), or `undefined` when it can.
 *
 * @example
 * nameProblem('feature/login'); // undefined
 * nameProblem('a\u202eb');      // 'it contains U+202E'
 */
export function nameProblem(name: string): string | undefined {
  if (name === '') return 'it is blank';
  const unsafe = UNSAFE.exec(name)?.[0];
  if (unsafe !== undefined) return `it contains ${codePoint(unsafe)}`;
  const length = [...name].length;
  if (length > NAME_MAX_LENGTH) return `it has ${length} characters`;
  return undefined;
}

function codePoint(char: string): string {
  return `U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * A name for a message or a table cell: as it is when it holds no whitespace, quotes or
 * unsafe characters, else JSON-quoted with those characters escaped (`"my app"`), so that
 * it reads as one value and never reaches a terminal as a control sequence. Names from a
 * hand-edited registry file may hold anything; this still shows them safely.
 *
 * @example
 * showName('feature/login'); // 'feature/login'
 * showName('my app');        // '"my app"'
 */
export function showName(name: string): string {
  if (name !== '' && !/[\s"\\]/u.test(name) && !UNSAFE.test(name)) return name;
  return JSON.stringify(name).replace(UNSAFE_GLOBAL, codeEscape);
}

/**
 * Text with every character {@link nameProblem} refuses written as `\\uXXXX`: for free
 * text such as labels, which may hold spaces but must not move the cursor or reorder a line.
 *
 * @example
 * escapeUnsafe('w1\u001b[2J'); // 'w1\\u001b[2J'
 */
export function escapeUnsafe(text: string): string {
  return text.replace(UNSAFE_GLOBAL, codeEscape);
}

function codeEscape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * One component of a registry key (`app/instance/service`): `%` and `/` percent-encoded,
 * so that `a/b` + `c` and `a` + `b/c` give different keys. Names without either (every
 * name before names could hold `/`) keep the key they always had, and so their sticky port.
 *
 * @example
 * keyPart('feature/login'); // 'feature%2Flogin'
 */
export function keyPart(name: string): string {
  // Most names hold neither: two scans instead of two regular-expression replaces. A named
  // reserve builds the key of every lease of the registry (10,000 of them: ~1 ms saved per scan).
  if (!name.includes('%') && !name.includes('/')) return name;
  return name.replace(/%/g, '%25').replace(/\//g, '%2F');
}

/**
 * The environment-variable form of a name (`feature/login` → `FEATURE_LOGIN`): compatibility
 * decomposition with accents dropped (`café` → `CAFE`), upper case, every run of characters
 * other than `A-Z 0-9 _` becomes one `_` (none at either end). `undefined` when no letter
 * or digit is left (`日本`, `<&>`): the caller says so. It may start with a digit: a caller
 * that puts it first in a variable name prefixes `_`.
 *
 * @example
 * envNamePart('my app'); // 'MY_APP'
 * envNamePart('a<&>b');  // 'A_B'
 */
export function envNamePart(name: string): string | undefined {
  const ascii = name.normalize('NFKD').replace(/\p{M}/gu, '').toUpperCase();
  const part = ascii
    .replace(/[^A-Z0-9_]+/g, ' ')
    .trim()
    .replace(/ /g, '_');
  return /[A-Z0-9]/.test(part) ? part : undefined;
}

/**
 * A lease's `app/instance/service` for messages: each name as {@link showName} shows it,
 * and also JSON-quoted when it holds a `/`, so the three parts stay apart.
 *
 * @example
 * displayKey('shop', 'feature/login', 'db'); // 'shop/"feature/login"/db'
 */
export function displayKey(app: string, instance: string, service: string): string {
  const part = (name: string) => {
    const shown = showName(name);
    return shown === name && name.includes('/') ? JSON.stringify(name) : shown;
  };
  return `${part(app)}/${part(instance)}/${part(service)}`;
}
