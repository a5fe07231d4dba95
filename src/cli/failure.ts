/**
 * Error reporting for the CLI: the error line (`portlease: E_CODE: what happened. what to
 * do.`), its JSON form, and the exit code of each error. Pure but for writing to the sink.
 */
import type { Io } from './command.js';
import { formatJson, noStyle, styleFor, type Style } from './output.js';

/**
 * What to do next, per error code: the second half of every error line. The library's
 * messages already say what was tried and what would fix it in library terms; these add
 * the CLI command that helps.
 */
function hintFor(report: ErrorReport): string | undefined {
  switch (report.code) {
    case 'E_USAGE':
      return 'See `portlease --help`.';
    case 'E_PORT_LEASED':
    case 'E_SERVICE_LEASED':
      return '(`portlease list --all` shows every lease.)';
    case 'E_PORT_BUSY':
      return `(\`portlease check ${report.port ?? '<port>'}\` shows what listens there.)`;
    case 'E_NO_PORT':
      // The library's message already says "widen the range or release leases": name the flags.
      return '(`--range A-B` or PORTLEASE_RANGE; `portlease list --all` shows the leases.)';
    case 'E_NOT_FOUND':
      return '(`portlease list --all` shows every lease.)';
    case 'E_FILE':
      return 'Check the path.';
    case 'E_LOCK_TIMEOUT':
      return 'Another process holds the registry lock; try again (`portlease doctor` shows the holder).';
    case 'E_REGISTRY_CORRUPT':
    case 'E_REGISTRY_VERSION':
    case 'E_PERMISSION':
    case 'E_STORAGE':
      return '(`portlease doctor` checks the registry.)';
    default:
      return undefined;
  }
}

/** The error of a failed command, reduced to what the user sees. */
export interface ErrorReport {
  code: string;
  message: string;
  /** The port concerned, when the error names one. */
  port?: number;
}

/**
 * The code and one-line message of any thrown value: `PortleaseError`s, `UsageError`s and
 * `FileError`s keep their code; `TypeError`/`RangeError` with Node's argument codes (misuse caught by the
 * library before any I/O) become `E_USAGE`; anything else is `E_UNEXPECTED`. Duck-typed so that this file need not
 * import the library.
 *
 * @example
 * errorReport(Object.assign(new TypeError('bad ttl'), { code: 'ERR_INVALID_ARG_TYPE' })); // { code: 'E_USAGE', message: 'bad ttl' }
 */
export function errorReport(error: unknown): ErrorReport {
  const message = oneLine(error instanceof Error ? error.message : String(error));
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if ((error.name === 'PortleaseError' || error.name === 'UsageError' || error.name === 'FileError') && typeof code === 'string') {
      const port = (error as { port?: unknown }).port;
      return typeof port === 'number' ? { code, message, port } : { code, message };
    }
    // Misuse caught before any I/O carries Node's argument codes; any other TypeError is a bug.
    if ((error instanceof TypeError || error instanceof RangeError) && (code === 'ERR_INVALID_ARG_TYPE' || code === 'ERR_OUT_OF_RANGE')) {
      return { code: 'E_USAGE', message };
    }
  }
  return { code: 'E_UNEXPECTED', message };
}

/**
 * Exit code for an error report: 2 for usage, 1 for everything else.
 *
 * @example
 * exitCodeOf({ code: 'E_NO_PORT', message: '' }); // 1
 */
export function exitCodeOf(report: ErrorReport): number {
  return report.code === 'E_USAGE' ? 2 : 1;
}

/**
 * The line printed on stderr: `portlease: E_NO_PORT: No free port in 20000-20010. Widen --range…`.
 *
 * @example
 * formatErrorLine({ code: 'E_NOT_FOUND', message: 'No live lease for web' });
 */
export function formatErrorLine(report: ErrorReport, style: Style = noStyle, hint?: string): string {
  const next = hint ?? hintFor(report);
  const message = /[.!?]$/.test(report.message) ? report.message : `${report.message}.`;
  return `${style.red('portlease:')} ${style.bold(report.code)}: ${message}${next === undefined ? '' : ` ${next}`}\n`;
}

/**
 * Reports a failure that a command answers itself rather than by throwing (it has more to
 * say in JSON): the error line on stderr, or `doc` plus `error: {code, message}` on stdout
 * with `--json`. Returns exit code 1.
 *
 * @example
 * return reportFailure(io, json, { code: 'E_SERVE_NOT_RUNNING', message: 'serve is not running' }, { state: 'not running' });
 */
export function reportFailure(io: Io, json: boolean, report: ErrorReport, doc: Record<string, unknown> = {}): number {
  if (json) io.stdout.write(formatJson({ ...doc, error: { code: report.code, message: report.message } }));
  else io.stderr.write(formatErrorLine(report, styleFor(io.stderr, io.env)));
  return 1;
}

/**
 * The `--json` error document: `{"error":{"code","message"}}`.
 *
 * @example
 * formatJsonError({ code: 'E_NOT_FOUND', message: 'No live lease for web' });
 */
export function formatJsonError(report: ErrorReport): string {
  return `${JSON.stringify({ error: { code: report.code, message: report.message } })}\n`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
