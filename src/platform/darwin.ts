/**
 * macOS (and the BSDs, whose `ps`, `sysctl` and `lsof` speak alike): the process table
 * from one `ps -A` per transaction, the boot from `sysctl`, listeners from `lsof`.
 * Start times are absolute (epoch seconds), so a pid reused after a reboot never matches.
 */
import { emitWarning, onceWarner, systemRunner, type Runner, type WarnSink, signalProcess } from './exec.js';
import { parseDarwinBoot, parseLsof, parsePsTable, parseSysctlRange } from './darwin-parse.js';
import { processSnapshots, remembered, systemClocks, type Clocks } from './snapshot.js';
import { IANA_EPHEMERAL, type BootIdentity, type Platform } from './types.js';

/** What the macOS module needs (tests give recorded outputs and fake clocks). */
export interface DarwinDeps {
  run?: Runner;
  clocks?: Clocks;
  warn?: WarnSink;
}

// ps prints lstart with strftime("%c") in the user's locale and time zone: pin both, or
// the same process would read differently for two users (or across a DST change).
const C_LOCALE = { LC_ALL: 'C', LANG: 'C', TZ: 'UTC0' };

/**
 * The macOS/BSD platform.
 *
 * @example
 * darwinPlatform().ephemeralRange(); // { from: 49152, to: 65535, source: 'sysctl net.inet.ip.portrange' }
 */
export function darwinPlatform(deps: DarwinDeps = {}): Platform {
  const warner = onceWarner(deps.warn ?? emitWarning);
  const run = deps.run ?? systemRunner(warner.warn);
  const clocks = deps.clocks ?? systemClocks;

  const processes = processSnapshots({
    read: () => {
      const text = run('ps', ['-A', '-o', 'pid=,stat=,lstart='], { env: C_LOCALE });
      return text === null ? null : parsePsTable(text);
    },
    // lstart has whole seconds: the process began before the next second.
    startedBy: (start) => (/^\d+$/.test(start) ? (Number(start) + 1) * 1000 : null),
    clocks,
  });

  const boot = remembered<BootIdentity>(Infinity, clocks, () => {
    const text = run('sysctl', ['-n', 'kern.bootsessionuuid', 'kern.boottime'], { acceptFailure: true }) ?? '';
    const { session, boottime } = parseDarwinBoot(text);
    if (session !== null) return { id: session, stable: true, source: 'sysctl kern.bootsessionuuid' };
    return { id: boottime, stable: false, source: boottime === null ? 'unknown' : 'sysctl kern.boottime (moves with the clock: not used for identity)' };
  });

  const ephemeral = remembered(60_000, clocks, () => {
    const text = run('sysctl', ['-n', 'net.inet.ip.portrange.first', 'net.inet.ip.portrange.last']);
    const span = text === null ? null : parseSysctlRange(text);
    if (text !== null && span === null) warner.warn('portrange', 'portlease: cannot read sysctl net.inet.ip.portrange; assuming 49152-65535.');
    return span ?? IANA_EPHEMERAL;
  });

  // Every listener in one lsof, reused for a second: `list --all` asks once per lease.
  // lsof exits 1 when nothing matches; other users' sockets are invisible without root.
  const listening = remembered(1000, clocks, () => {
    const text = run('lsof', ['-nP', '-iTCP', '-sTCP:LISTEN', '-Fpcn'], { acceptFailure: true });
    return text === null ? [] : parseLsof(text);
  });

  return {
    name: 'darwin',
    boot,
    pidNamespace: () => null,
    processes,
    commandLine(pid) {
      // ps exits 1 for a pid it does not know: empty output then means "not running".
      const text = run('ps', ['-ww', '-p', String(pid), '-o', 'command='], { acceptFailure: true });
      return text === null ? null : text.trim().split(/\s+/).filter(Boolean);
    },
    async listeners(port) {
      const all = listening();
      return port === undefined ? all : all.filter((listener) => listener.port === port);
    },
    ephemeralRange: ephemeral,
    reservedRanges: () => [],
    terminate: signalProcess,
    warnings: () => warner.given(),
  };
}
