/**
 * Any other OS: nothing but `kill(pid, 0)`, which cannot tell a reused pid, and IANA's
 * ephemeral range. The weakest platform, said so once.
 */
import { emitWarning, onceWarner, type WarnSink, signalProcess } from './exec.js';
import { IANA_EPHEMERAL, type Platform } from './types.js';

/**
 * The fallback platform.
 *
 * @example
 * genericPlatform().processes([{ pid: 1, start: null }]); // null: check by pid only
 */
export function genericPlatform(os: string = process.platform, warn: WarnSink = emitWarning): Platform {
  const warner = onceWarner(warn);
  return {
    name: 'generic',
    boot: () => ({ id: null, stable: false, source: 'unknown' }),
    pidNamespace: () => null,
    processes() {
      warner.warn('os', `portlease: no process table on ${os}; owners are checked by pid only (a reused pid looks alive).`);
      return null;
    },
    commandLine: () => null,
    listeners: async () => [],
    ephemeralRange: () => IANA_EPHEMERAL,
    reservedRanges: () => [],
    terminate: signalProcess,
    warnings: () => warner.given(),
  };
}
