/**
 * Windows: one PowerShell/CIM query per transaction reads the process table (creation
 * times as FILETIMEs: absolute, so a pid reused after a reboot never matches) and the last
 * boot time; listeners from `netstat -ano`; port ranges from `netsh`.
 */
import { emitWarning, onceWarner, systemRunner, type Runner, type WarnSink } from './exec.js';
import { processSnapshots, remembered, systemClocks, type Clocks } from './snapshot.js';
import { IANA_EPHEMERAL, type Platform } from './types.js';
import { filetimeToMs, parseCimProcesses, parseDynamicPort, parseExcludedRanges, parseNetstat } from './win32-parse.js';

/** What the Windows module needs (tests give recorded outputs and fake clocks). */
export interface Win32Deps {
  run?: Runner;
  clocks?: Clocks;
  warn?: WarnSink;
}

// Numbers only (FILETIMEs), so that no locale or date format gets in the way.
const CIM_SCRIPT = [
  "$ErrorActionPreference = 'Stop'",
  "'boot ' + (Get-CimInstance Win32_OperatingSystem -Property LastBootUpTime).LastBootUpTime.ToFileTimeUtc()",
  "Get-CimInstance Win32_Process -Property ProcessId,CreationDate | ForEach-Object { '' + $_.ProcessId + ' ' + $(if ($_.CreationDate) { $_.CreationDate.ToFileTimeUtc() } else { '-' }) }",
].join('; ');

const POWERSHELL = ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command'];
// PowerShell's own start takes most of a second on a cold machine.
const POWERSHELL_TIMEOUT_MS = 15_000;

/**
 * The Windows platform.
 *
 * @example
 * win32Platform().reservedRanges(); // Hyper-V / WinNAT exclusions, e.g. [{ from: 50000, to: 50059, … }]
 */
export function win32Platform(deps: Win32Deps = {}): Platform {
  const warner = onceWarner(deps.warn ?? emitWarning);
  const run = deps.run ?? systemRunner(warner.warn);
  const clocks = deps.clocks ?? systemClocks;
  let bootTime: string | null | undefined;

  const processes = processSnapshots({
    read: () => {
      const text = run('powershell.exe', [...POWERSHELL, CIM_SCRIPT], { timeoutMs: POWERSHELL_TIMEOUT_MS });
      if (text === null) return null;
      const snapshot = parseCimProcesses(text);
      if (snapshot.table.size === 0) {
        warner.warn('cim', 'portlease: the Win32_Process query returned no processes; owners are checked by pid only.');
        return null;
      }
      bootTime ??= snapshot.boot;
      return snapshot.table;
    },
    startedBy: filetimeToMs,
    clocks,
  });

  const netsh = (args: string[]) => run('netsh', ['int', 'ipv4', 'show', ...args]);
  const ephemeral = remembered(60_000, clocks, () => {
    const text = netsh(['dynamicport', 'tcp']);
    return (text === null ? null : parseDynamicPort(text)) ?? IANA_EPHEMERAL;
  });
  const excluded = remembered(60_000, clocks, () => {
    const text = netsh(['excludedportrange', 'protocol=tcp']);
    return text === null ? [] : parseExcludedRanges(text);
  });

  // Every listener in one netstat, reused for a second: `list --all` asks once per lease.
  // Without -p: IPv4 and IPv6 sockets in one table (both show as TCP).
  const listening = remembered(1000, clocks, () => parseNetstat(run('netstat', ['-ano']) ?? ''));

  return {
    name: 'win32',
    boot() {
      if (bootTime === undefined) processes([{ pid: process.pid, start: null }]);
      // LastBootUpTime is recomputed from the clock and drifts by seconds: shown, not used for identity.
      return { id: bootTime ?? null, stable: false, source: bootTime ? 'Win32_OperatingSystem.LastBootUpTime (not used for identity)' : 'unknown' };
    },
    pidNamespace: () => null,
    processes,
    commandLine(pid) {
      const script = `$p = Get-CimInstance Win32_Process -Filter 'ProcessId=${Math.trunc(pid)}'; if ($p) { $p.CommandLine }`;
      const text = run('powershell.exe', [...POWERSHELL, script], { timeoutMs: POWERSHELL_TIMEOUT_MS });
      return text === null ? null : text.trim().split(/\s+/).filter(Boolean);
    },
    async listeners(port) {
      const all = listening();
      return port === undefined ? all : all.filter((listener) => listener.port === port);
    },
    ephemeralRange: ephemeral,
    reservedRanges: excluded,
    terminate(pid, signal) {
      if (run('taskkill', ['/PID', String(Math.trunc(pid)), '/T', '/F']) !== null) return;
      try {
        process.kill(pid, signal); // no taskkill: at least the direct child
      } catch {
        // gone already
      }
    },
    warnings: () => warner.given(),
  };
}
