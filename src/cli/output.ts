/**
 * Pure formatting for the CLI: tables, JSON, names and colours (error lines: failure.ts).
 * Nothing here does I/O or imports the library at run time, so the dispatcher can load it
 * without slowing `portlease --version`.
 */
// Both are small and import nothing themselves: still no library load for `--version`.
import { rangeError } from '../errors.js';
import { displayKey, envNamePart, escapeUnsafe, showName } from '../names.js';
import type { Lease, Owner } from '../types.js';
import { urlOf } from '../url.js';
import type { Io, TextSink } from './command.js';

/** Styling functions; identity functions when colours are off. */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
}

const plain = (text: string): string => text;
const sgr = (open: number, close: number) => (text: string) => `\u001B[${open}m${text}\u001B[${close}m`;

/**
 * Colours for one sink: on only when it is a TTY, `NO_COLOR` is unset or empty
 * (https://no-color.org) and `TERM` is not `dumb`.
 *
 * @example
 * const style = styleFor(io.stderr, io.env);
 * io.stderr.write(style.red('failed') + '\n');
 */
export function styleFor(sink: TextSink, env: Io['env']): Style {
  const on = sink.isTTY === true && (env.NO_COLOR ?? '') === '' && env.TERM !== 'dumb';
  if (!on) return { bold: plain, dim: plain, red: plain, green: plain, yellow: plain };
  return { bold: sgr(1, 22), dim: sgr(2, 22), red: sgr(31, 39), green: sgr(32, 39), yellow: sgr(33, 39) };
}

const ANSI = /\u001B\[[0-9;]*m/g;
// Code points a terminal draws in no column: combining marks (the accent of a decomposed
// `é`), zero-width joiners and other format characters.
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
// East Asian wide and fullwidth blocks, and the common emoji blocks: two columns each.
// An approximation of Unicode's East Asian Width, enough to keep names in line.
const DOUBLE_WIDTH =
  /^[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{20000}-\u{3fffd}]$/u;

/**
 * Columns a string takes in a terminal (ANSI colour codes excluded), so that names such as
 * `café` (in either Unicode form) or `東京` keep a table aligned.
 *
 * @example
 * displayWidth('cafe\u0301'); // 4
 * displayWidth('東京');        // 4
 */
export function displayWidth(text: string): number {
  let columns = 0;
  for (const char of text.replace(ANSI, '')) columns += ZERO_WIDTH.test(char) ? 0 : DOUBLE_WIDTH.test(char) ? 2 : 1;
  return columns;
}

const width = displayWidth;

/**
 * Formats rows as a left-aligned table with two spaces between columns and a header line.
 * The last column is not padded, so lines carry no trailing spaces.
 *
 * @example
 * formatTable(['ID', 'PORT'], [['1', '20001']]); // 'ID  PORT\n1   20001\n'
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[], style: Style = noStyle): string {
  const widths = headers.map((header, column) => Math.max(width(header), ...rows.map((row) => width(row[column] ?? ''))));
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => (column === cells.length - 1 ? cell : cell + ' '.repeat((widths[column] ?? 0) - width(cell)))).join('  ');
  const head = line(headers).trimEnd();
  return `${[style.bold(head), ...rows.map((row) => line(row).trimEnd())].join('\n')}\n`;
}

/** No colours. */
export const noStyle: Style = { bold: plain, dim: plain, red: plain, green: plain, yellow: plain };

/** Columns of `portlease list`. */
export const LEASE_COLUMNS = ['ID', 'APP', 'INSTANCE', 'SERVICE', 'PORT', 'OWNER', 'EXPIRES', 'CREATED'] as const;

/** Facts a lease table needs besides the leases: the clock and this host's name. */
export interface TableContext {
  now: number;
  hostname: string;
  /** Port of the running `portlease serve`: adds a URL column with each lease's named URL. */
  urlPort?: number | undefined;
}

/**
 * Formats leases as the `portlease list` table; with `context.urlPort`, a URL column (the
 * server runs); with `states` (one per lease), a last STATE column as `list --all` shows it.
 *
 * @example
 * io.stdout.write(formatLeaseTable(leases, { now: Date.now(), hostname: os.hostname() }));
 */
export function formatLeaseTable(leases: readonly Lease[], context: TableContext, style: Style = noStyle, states?: readonly string[]): string {
  const rows = leases.map((lease, index) => {
    const row = [
      String(lease.id),
      // Names as showName shows them: one cell each (`"my app"`), never a control sequence.
      showName(lease.app),
      showName(lease.instance),
      lease.service === null ? (lease.label === undefined ? '-' : `(${escapeUnsafe(lease.label)})`) : showName(lease.service),
      String(lease.port),
      formatOwner(lease.owner, context.hostname),
      lease.expiresAt === null ? 'never' : formatRelative(Date.parse(lease.expiresAt) - context.now),
      formatRelative(Date.parse(lease.createdAt) - context.now),
    ];
    if (context.urlPort !== undefined) row.push(urlOf(lease, { port: context.urlPort }) ?? '-');
    if (states !== undefined) row.push(states[index] ?? '?');
    return row;
  });
  const columns: string[] = [...LEASE_COLUMNS];
  if (context.urlPort !== undefined) columns.push('URL');
  if (states !== undefined) columns.push('STATE');
  return formatTable(columns, rows, style);
}

/**
 * Describes an owner in a few characters: `pid 1234`, or `pid 1234@other-host` when the
 * process lives elsewhere (its liveness is then judged by ttl only), `-` for none.
 *
 * @example
 * formatOwner(null, 'box'); // '-'
 */
export function formatOwner(owner: Owner | null, hostname: string): string {
  if (owner === null) return '-';
  return owner.host === hostname ? `pid ${owner.pid}` : `pid ${owner.pid}@${owner.host}`;
}

/**
 * A time offset as `in 1h59m` (future) or `5m ago` (past), two units at most.
 *
 * @example
 * formatRelative(-90_000); // '1m30s ago'
 */
export function formatRelative(offsetMs: number): string {
  if (!Number.isFinite(offsetMs)) return '?';
  const text = formatSpan(Math.abs(offsetMs));
  if (text === 'now') return text;
  return offsetMs >= 0 ? `in ${text}` : `${text} ago`;
}

/**
 * A span of time as `2h`, `1h59m`, `3d4h`, `12s`; `now` under one second.
 *
 * @example
 * formatSpan(7_200_000); // '2h'
 */
export function formatSpan(ms: number): string {
  const units: [string, number][] = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  const rest = Math.floor(ms);
  const parts: string[] = [];
  for (const [index, [unit, size]] of units.entries()) {
    const count = Math.floor(rest / size);
    if (count === 0) continue;
    parts.push(`${count}${unit}`);
    // A second, smaller unit only when it is directly below: `1h59m`, never `1h12s`.
    const next = units[index + 1];
    if (next !== undefined) {
      const smaller = Math.floor((rest - count * size) / next[1]);
      if (smaller > 0) parts.push(`${smaller}${next[0]}`);
    }
    break;
  }
  return parts.length === 0 ? 'now' : parts.join('');
}

/**
 * Describes a lease for messages: `shop/default/web (id 3, port 20001, pid 1234)`.
 *
 * @example
 * `leased by ${describeLease(holder, os.hostname())}`;
 */
export function describeLease(lease: Lease, hostname: string): string {
  const key =
    lease.service === null
      ? `anonymous${lease.label === undefined ? '' : ` (${escapeUnsafe(lease.label)})`}`
      : displayKey(lease.app, lease.instance, lease.service);
  const life = lease.owner !== null ? formatOwner(lease.owner, hostname) : lease.expiresAt !== null ? `expires ${lease.expiresAt}` : 'durable';
  return `${key} (id ${lease.id}, port ${lease.port}, ${life})`;
}

/**
 * One JSON document and a newline: what `--json` prints on stdout.
 *
 * @example
 * io.stdout.write(formatJson({ released: 2 }));
 */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/**
 * The environment variable name for a service's port: the name's environment form (see
 * `envNamePart`: accents dropped, upper case, every run of other characters one `_`) plus
 * `_PORT`, with a `_` prefix before a leading digit. A name with no letter or digit to keep
 * (`日本`) is refused as usage: no variable could be told from another.
 *
 * @example
 * portVariable('api-gateway');   // 'API_GATEWAY_PORT'
 * portVariable('feature/login'); // 'FEATURE_LOGIN_PORT'
 * portVariable('café');          // 'CAFE_PORT'
 */
export function portVariable(service: string): string {
  const base = envNamePart(service);
  if (base === undefined) {
    throw rangeError(`service ${showName(service)} has no letter or digit A-Z 0-9 to name its environment variable after; rename it`);
  }
  return `${/^[0-9]/.test(base) ? '_' : ''}${base}_PORT`;
}
