/**
 * Spawning the OS's tools: the only file of the platform layer that does. Every command
 * has a timeout; a missing tool, a timeout or a failure is `null` plus a warning given
 * once per tool, so that the caller falls back to a weaker check instead of crashing.
 */

/** Runs a command and returns its stdout, or `null` when it could not run or failed. */
export type Runner = (file: string, args: readonly string[], options?: RunOptions) => string | null;

/** Options of a {@link Runner}. */
export interface RunOptions {
  /** Milliseconds before the command is killed. @default 5000 */
  timeoutMs?: number;
  /** Keep stdout of a command that exited non-zero (`sysctl` with one unknown name). @default false */
  acceptFailure?: boolean;
  /** Extra environment (e.g. `LC_ALL=C`: tools print localized dates otherwise). */
  env?: Record<string, string>;
}

/** Receives warnings; the default emits a Node process warning. */
export type WarnSink = (message: string) => void;

/** Gives each warning once per key (per tool), however often the tool fails. */
export function onceWarner(sink: WarnSink): { warn(key: string, message: string): void; given(): string[] } {
  const given = new Map<string, string>();
  return {
    warn(key, message) {
      if (given.has(key)) return;
      given.set(key, message);
      sink(message);
    },
    given: () => [...given.values()],
  };
}

/** The default sink: `process.emitWarning`, which the CLI shows on stderr. */
export const emitWarning: WarnSink = (message) => process.emitWarning(message, { code: 'PORTLEASE_PLATFORM' });

/**
 * A runner over `execFileSync` that reports failures to `warn` (keyed by tool).
 *
 * @example
 * const run = systemRunner((key, message) => console.warn(message));
 * run('sysctl', ['-n', 'kern.boottime']);
 */
export function systemRunner(warn: (key: string, message: string) => void): Runner {
  return (file, args, options = {}) => {
    const timeout = options.timeoutMs ?? 5000;
    try {
      // Loaded on first use: only macOS and Windows spawn tools, and node:child_process costs
      // a CLI start about 2 ms on Linux, where nothing here runs.
      const { execFileSync } = process.getBuiltinModule('node:child_process');
      return execFileSync(file, args, {
        encoding: 'utf8',
        timeout,
        stdio: ['ignore', 'pipe', 'ignore'],
        windowsHide: true,
        maxBuffer: 16 * 1024 * 1024,
        env: options.env ? { ...process.env, ...options.env } : process.env,
      });
    } catch (error) {
      const failure = error as NodeJS.ErrnoException & { stdout?: unknown; signal?: string | null };
      if (options.acceptFailure && typeof failure.stdout === 'string' && failure.code !== 'ENOENT') return failure.stdout;
      const why =
        failure.code === 'ENOENT'
          ? 'is not installed or not on PATH'
          : failure.code === 'ETIMEDOUT' || failure.signal === 'SIGTERM'
            ? `did not answer within ${timeout} ms`
            : `failed (${failure.code ?? failure.message})`;
      warn(file, `portlease: \`${file}\` ${why}; falling back to a weaker check (see \`portlease doctor\`).`);
      return null;
    }
  };
}

/**
 * Sends `signal` to `pid` (POSIX): a process that is gone already is no failure. The
 * `terminate` of every platform but Windows.
 *
 * @example
 * signalProcess(child.pid, 'SIGTERM');
 */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}
