/**
 * Test doubles for the platform layer: recorded outputs, a scripted command runner, fake
 * clocks, and a fake machine (a pid table with a boot) rendered as each OS shows it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runner } from '../../src/platform/exec.js';
import type { LinuxDeps } from '../../src/platform/linux.js';
import type { Clocks } from '../../src/platform/snapshot.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'platform');

/** A recorded output under test/fixtures/platform/. */
export function fixture(name: string): string {
  return readFileSync(join(DIR, name), 'utf8');
}

/** One scripted command: a pattern over `file arg…`, and the outputs of its successive calls (the last repeats). */
export type Script = Array<[RegExp, ReadonlyArray<string | null>]>;

/** A runner that answers from `script` and records every call. */
export function scriptedRunner(script: Script): Runner & { calls: string[] } {
  const calls: string[] = [];
  const seen = new Map<RegExp, number>();
  const run = ((file: string, args: readonly string[]) => {
    const line = [file, ...args].join(' ');
    calls.push(line);
    for (const [pattern, outputs] of script) {
      if (!pattern.test(line)) continue;
      const index = seen.get(pattern) ?? 0;
      seen.set(pattern, index + 1);
      return outputs[Math.min(index, outputs.length - 1)] ?? null;
    }
    return null;
  }) as Runner & { calls: string[] };
  run.calls = calls;
  return run;
}

/** Clocks that move only when told (wall and monotonic together). */
export function fakeClocks(startWall: number): Clocks & { advance(ms: number): void } {
  let wall = startWall;
  let mono = 0;
  return {
    wall: () => wall,
    mono: () => mono,
    advance(ms) {
      wall += ms;
      mono += ms;
    },
  };
}

/** A process of the fake machine. */
export interface FakeProcess {
  pid: number;
  /** Wall-clock ms when it started. */
  startedAt: number;
  zombie?: boolean;
  /** Another user's process: hidden from /proc under hidepid, visible to kill(0) (EPERM). */
  otherUser?: boolean;
}

/** A machine: one boot, a pid table and a wall clock, rendered as each OS shows them. */
export class FakeMachine {
  boot = 1;
  bootedAt: number;
  now: number;
  processes = new Map<number, FakeProcess>();
  /** Set to make the tool of the platform fail (ps, PowerShell) or /proc unreadable. */
  toolsMissing = false;
  /** Counts of table reads (ps -A / CIM), to check batching. */
  tableReads = 0;

  constructor(bootedAt = 1_700_000_000_000) {
    this.bootedAt = bootedAt;
    this.now = bootedAt + 60_000;
  }

  /** Starts a process now (or replaces whatever had that pid). */
  start(pid: number, extra: Partial<FakeProcess> = {}): FakeProcess {
    const process: FakeProcess = { pid, startedAt: this.now, ...extra };
    this.processes.set(pid, process);
    return process;
  }

  exit(pid: number): void {
    this.processes.delete(pid);
  }

  /** Time passes. */
  tick(ms: number): void {
    this.now += ms;
  }

  /** A reboot: every process gone, a new boot an hour later. */
  reboot(): void {
    this.processes.clear();
    this.boot += 1;
    this.now += 3_600_000;
    this.bootedAt = this.now;
    this.now += 60_000;
  }

  clocks(): Clocks {
    return { wall: () => this.now, mono: () => this.now };
  }

  exists(pid: number): boolean {
    return this.processes.has(pid);
  }

  bootUuid(): string {
    return `6C1E4F0A-7B3D-4E2A-9F61-${String(this.boot).padStart(12, '0')}`;
  }

  /** `/proc` as Linux shows it (100 clock ticks per second). */
  linuxDeps(): LinuxDeps {
    return {
      read: (path) => {
        if (this.toolsMissing) return null;
        if (path === '/proc/sys/kernel/random/boot_id') return `${this.bootUuid().toLowerCase()}\n`;
        if (path === '/proc/self/stat') return '1 (self) R 0 0 0 0 0 0 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0\n';
        const match = /^\/proc\/(\d+)\/stat$/.exec(path);
        const process = match ? this.processes.get(Number(match[1])) : undefined;
        if (process === undefined || process.otherUser) return null;
        const ticks = Math.round((process.startedAt - this.bootedAt) / 10);
        return `${process.pid} (node) ${process.zombie ? 'Z' : 'S'} 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 ${ticks} 0 0\n`;
      },
      readlink: (path) => (path === '/proc/self/ns/pid' ? 'pid:[4026531836]' : null),
      readdir: () => [],
      exists: (pid) => this.exists(pid),
    };
  }

  /** `ps -A -o pid=,stat=,lstart=` under LC_ALL=C TZ=UTC0. */
  psTable(): string {
    return [...this.processes.values()]
      .map((process) => `${String(process.pid).padStart(5)} ${process.zombie ? 'Z ' : 'S '}   ${lstart(process.startedAt)}`)
      .join('\n');
  }

  /** The CIM query's output. */
  cimTable(): string {
    return [`boot ${filetime(this.bootedAt)}`, ...[...this.processes.values()].map((process) => `${process.pid} ${filetime(process.startedAt)}`)]
      .map((line) => `${line}\r\n`)
      .join('');
  }

  /** A runner that answers as macOS or Windows would on this machine. */
  runner(): Runner {
    return (file, args) => {
      const line = [file, ...args].join(' ');
      if (line.startsWith('ps -A')) {
        this.tableReads++;
        return this.toolsMissing ? null : this.psTable();
      }
      if (line.startsWith('sysctl -n kern.bootsessionuuid')) {
        return `${this.bootUuid()}\n{ sec = ${Math.floor(this.bootedAt / 1000)}, usec = 0 } Tue Nov 14 22:13:20 2023\n`;
      }
      if (file === 'powershell.exe') {
        this.tableReads++;
        return this.toolsMissing ? null : this.cimTable();
      }
      return null;
    };
  }
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `%c` in the C locale, UTC: `Tue Nov 14 22:15:00 2023`. */
export function lstart(ms: number): string {
  const date = new Date(ms);
  const two = (value: number) => String(value).padStart(2, '0');
  return `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2)} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} ${date.getUTCFullYear()}`;
}

/** Epoch ms as a Windows FILETIME string. */
export function filetime(ms: number): string {
  return String(BigInt(ms) * 10_000n + 116_444_736_000_000_000n);
}
