/**
 * What the scanners report: one port (or one entry that is not a host port) found in a
 * project file, with where it was found. Shared by the compose, dotenv and scripts scanners
 * and the import planner.
 */

/** The kind of file a port was found in. */
export type SourceKind = 'compose' | 'env' | 'script';

/** Where a port was found. */
export interface PortSource {
  kind: SourceKind;
  /** The file, as passed to the scanner (the importer passes paths relative to the project). */
  file: string;
  /** 1-based line, or `null` when unknown. */
  line: number | null;
  /** The compose service, the variable (`POSTGRES_PORT`) or the script name. */
  origin: string;
  /** The entry as written: `"${DB_PORT:-5432}:5432"`, `POSTGRES_PORT=5432`, `--port 3001`. */
  text: string;
}

/** One finding of a scanner. */
export interface FoundPort {
  /** Proposed service name of the lease. */
  service: string;
  /** The host port, or `null` when there is none to register (see `skip`). */
  port: number | null;
  /** Why this entry is not registered (a bare container port, an unset variable, …). */
  skip?: string;
  /** Container port of a compose mapping. */
  container?: number;
  /** Protocol of a compose mapping. @default 'tcp' */
  protocol?: string;
  /** The variable that sets the host port (`POSTGRES_PORT`), when one does. */
  variable?: string;
  source: PortSource;
}

/**
 * Turns a compose service, script name or variable stem into a lease service name:
 * lower case, and anything but letters, digits, `.`, `_` and `-` becomes `-` (a valid
 * lease name: it starts with a letter or digit and has at most 128 characters).
 *
 * @example
 * serviceName('dev:web'); // 'dev-web'
 */
export function serviceName(raw: string): string {
  return raw
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-._]+|[-.]+$/g, '')
    .slice(0, 128);
}

/**
 * The service a `*_PORT` variable names: its stem, lower case, `_` as `-`
 * (`POSTGRES_PORT` → `postgres`, `NEXT_PUBLIC_API_PORT` → `next-public-api`), the inverse
 * of the `<SERVICE>_PORT` names that `portlease env` writes. `null` when the name does not
 * end in `_PORT` or has no stem.
 *
 * @example
 * variableService('POSTGRES_PORT'); // 'postgres'
 */
export function variableService(variable: string): string | null {
  const stem = /^([A-Za-z0-9_]+?)_PORT$/i.exec(variable)?.[1];
  if (stem === undefined) return null;
  const name = serviceName(stem.replace(/_/g, '-'));
  return name === '' ? null : name;
}

/**
 * Parses a port number as written in a file: digits only, 1–65535.
 *
 * @example
 * parsePortNumber('5432'); // 5432
 * parsePortNumber('0');    // null
 */
export function parsePortNumber(text: string | number): number | null {
  const value = typeof text === 'number' ? text : /^\s*\d{1,5}\s*$/.test(text) ? Number(text) : NaN;
  return Number.isInteger(value) && value >= 1 && value <= 65535 ? value : null;
}
