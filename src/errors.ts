import type { Lease } from './types.js';

/**
 * Stable codes of {@link PortleaseError}. Match on `error.code`, never on the message.
 *
 * | code | meaning |
 * | --- | --- |
 * | `E_PORT_LEASED` | the port is held by another live lease (see `error.holder`) |
 * | `E_PORT_BUSY` | the OS says the port is in use on this machine |
 * | `E_SERVICE_LEASED` | the named service is held by another live process (see `error.holder`) |
 * | `E_NO_PORT` | no free port in the allowed range |
 * | `E_NOT_FOUND` | no live lease matches |
 * | `E_TIMEOUT` | `waitFor` gave up |
 * | `E_LOCK_TIMEOUT` | the registry lock could not be taken before the deadline |
 * | `E_REGISTRY_CORRUPT` | the registry file is unreadable and no good copy exists |
 * | `E_REGISTRY_VERSION` | the registry was written by a newer portlease |
 * | `E_PERMISSION` | the registry directory or file cannot be read or written |
 * | `E_STORAGE` | another file-system failure (disk full, I/O error) |
 */
export type ErrorCode =
  | 'E_PORT_LEASED'
  | 'E_PORT_BUSY'
  | 'E_SERVICE_LEASED'
  | 'E_NO_PORT'
  | 'E_NOT_FOUND'
  | 'E_TIMEOUT'
  | 'E_LOCK_TIMEOUT'
  | 'E_REGISTRY_CORRUPT'
  | 'E_REGISTRY_VERSION'
  | 'E_PERMISSION'
  | 'E_STORAGE';

/** Extra facts an error may carry. */
export interface PortleaseErrorDetails {
  /** The original error. */
  cause?: unknown;
  /** The lease that is in the way, for `E_PORT_LEASED` and `E_SERVICE_LEASED`. */
  holder?: Lease;
  /** The port concerned, where there is one. */
  port?: number;
  /** The file concerned, for registry and storage errors. */
  file?: string;
}

// Marks every PortleaseError, whichever copy of the package made it (Symbol.for is global).
const BRAND = Symbol.for('portlease.error');

/**
 * The one error class of portlease for operational failures. Misuse (a bad argument)
 * throws `TypeError` or `RangeError` instead, before any I/O.
 *
 * @example
 * try {
 *   await reserve('web', { port: 3000 });
 * } catch (error) {
 *   if (error instanceof PortleaseError && error.code === 'E_PORT_BUSY') {
 *     console.error('something else listens on 3000');
 *   }
 * }
 */
export class PortleaseError extends Error {
  /**
   * `instanceof PortleaseError` is true for errors of any copy of portlease: the ESM and
   * CommonJS builds each carry their own class, and an app may load both (its code
   * imports `portlease`, a CommonJS dependency requires it).
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  override readonly name = 'PortleaseError';
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** The lease in the way (plain data), for `E_PORT_LEASED` and `E_SERVICE_LEASED`. */
  readonly holder?: Lease;
  /** The port concerned, if any. */
  readonly port?: number;
  /** The file concerned, if any. */
  readonly file?: string;

  constructor(code: ErrorCode, message: string, details: PortleaseErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
    this.code = code;
    if (details.holder !== undefined) this.holder = details.holder;
    if (details.port !== undefined) this.port = details.port;
    if (details.file !== undefined) this.file = details.file;
  }
}

/**
 * True when `error` is a {@link PortleaseError}, optionally with the given code. Like
 * `instanceof PortleaseError`, it holds across copies of the package (ESM and CJS builds
 * loaded side by side).
 *
 * @example
 * if (isPortleaseError(error, 'E_NO_PORT')) widenTheRange();
 */
export function isPortleaseError(error: unknown, code?: ErrorCode): error is PortleaseError {
  // The name check also accepts a copy that lost the brand (e.g. rebuilt from another realm).
  if (!(error instanceof PortleaseError) && !(error instanceof Error && error.name === 'PortleaseError')) return false;
  return code === undefined || (error as PortleaseError).code === code;
}

/** Maps a file-system error to the matching code, keeping it as `cause`. */
export function storageError(error: unknown, file: string, doing: string): PortleaseError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new PortleaseError(
      'E_PERMISSION',
      `Cannot ${doing} ${file} (${code}). Check that the directory belongs to you and is writable, or set PORTLEASE_HOME to another directory.`,
      { cause: error, file },
    );
  }
  return new PortleaseError('E_STORAGE', `Cannot ${doing} ${file} (${code ?? String(error)}).`, {
    cause: error,
    file,
  });
}

/**
 * A `TypeError` for misuse (a value of the wrong kind), with Node's `ERR_INVALID_ARG_TYPE`
 * code so that callers such as the CLI can tell it from a bug.
 */
export function typeError(message: string, options?: ErrorOptions): TypeError {
  return Object.assign(new TypeError(message, options), { code: 'ERR_INVALID_ARG_TYPE' });
}

/** A `RangeError` for misuse (the right kind, a wrong value), with Node's `ERR_OUT_OF_RANGE` code. */
export function rangeError(message: string, options?: ErrorOptions): RangeError {
  return Object.assign(new RangeError(message, options), { code: 'ERR_OUT_OF_RANGE' });
}
