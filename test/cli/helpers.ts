/**
 * Test helpers for the CLI: fake streams for in-process `main(argv, io)`, temp homes and
 * work folders, and spawning the built bin with a temp home.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { copyFile, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Io, SignalSource } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'dist/cli/bin.js');
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

const cleanup: string[] = [];
afterEach(async () => {
  await Promise.all(cleanup.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

/**
 * A trap: the library falls back to process.env.PORTLEASE_HOME when a command forgets to
 * pass the home from `io.env`. Point it at a folder that must stay untouched (and so never
 * at the real ~/.portlease).
 */
const TRAP_HOME = mkdtempSync(join(tmpdir(), 'portlease-trap-'));
process.env.PORTLEASE_HOME = TRAP_HOME;
afterEach(() => {
  if (readdirSync(TRAP_HOME).length > 0) {
    throw new Error(`a command used process.env.PORTLEASE_HOME instead of io.env: ${TRAP_HOME} was written`);
  }
});
afterAll(() => rmSync(TRAP_HOME, { recursive: true, force: true }));

/** A fresh temporary directory, removed after the test. */
export async function tempDir(prefix = 'portlease-cli-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanup.push(dir);
  return dir;
}

/** A text sink that remembers what was written. */
export class Sink {
  text = '';
  isTTY: boolean;
  constructor(isTTY = false) {
    this.isTTY = isTTY;
  }
  write(chunk: string): boolean {
    this.text += chunk;
    return true;
  }
}

/** A signal source the test can fire. */
export function fakeSignals(): { source: SignalSource; emit(signal: NodeJS.Signals): void; listeners(): number } {
  const listeners = new Set<(signal: NodeJS.Signals) => void>();
  return {
    source: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit: (signal) => {
      for (const listener of listeners) listener(signal);
    },
    listeners: () => listeners.size,
  };
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** Options of {@link cli}. */
export interface CliOptions {
  home: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  tty?: boolean;
  signals?: SignalSource;
  /** Standard input is a terminal (Ctrl-C reaches the whole process group). */
  terminal?: boolean;
  stdout?: Sink;
  stderr?: Sink;
}

/**
 * Runs `main(argv, io)` in-process with fake streams. The env holds only what the test
 * gives plus PORTLEASE_HOME and a fixed PORTLEASE_APP, so the outer environment cannot leak in.
 */
export async function cli(argv: string[], options: CliOptions): Promise<Result> {
  const stdout = options.stdout ?? new Sink(options.tty);
  const stderr = options.stderr ?? new Sink(options.tty);
  const io: Io = {
    stdout,
    stderr,
    env: { PORTLEASE_HOME: options.home, PORTLEASE_APP: 'testapp', PATH: process.env.PATH, ...options.env },
    cwd: options.cwd ?? options.home,
  };
  if (options.signals !== undefined) io.signals = options.signals;
  if (options.terminal !== undefined) io.terminal = options.terminal;
  const code = await main(argv, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

let snapshotBin: string | undefined;

/**
 * Spawned tests run a private copy of dist/ (under node_modules/.cache, so bare imports
 * still resolve): a concurrent `npm run build` (tsup cleans dist/) cannot pull the bin away
 * mid-test. Waits out a build in progress; fails with the fix when nothing was built.
 * Call once at the top of a test file; `bin()` is the path to spawn.
 */
export function useBuiltBin(): () => string {
  let target: string | undefined;
  beforeAll(async () => {
    target = join(ROOT, 'node_modules', '.cache', 'portlease-cli-test', String(process.pid));
    for (let attempt = 0; ; attempt++) {
      try {
        if (!existsSync(BIN)) throw new Error(`${BIN} is missing`);
        await rm(target, { recursive: true, force: true });
        await mkdir(target, { recursive: true });
        await cp(join(ROOT, 'dist'), join(target, 'dist'), { recursive: true });
        await copyFile(join(ROOT, 'package.json'), join(target, 'package.json'));
        const bin = join(target, 'dist', 'cli', 'bin.js');
        // --help loads every command module: proves the copy is whole.
        const check = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8' });
        if (check.status !== 0) throw new Error(`the copied bin fails: ${check.stderr}`);
        snapshotBin = bin;
        return;
      } catch (error) {
        if (attempt >= 30) {
          throw new Error(`Cannot use dist/cli/bin.js (${(error as Error).message}): run \`npm run build\` first (npm test does).`);
        }
        await new Promise((resolve) => setTimeout(resolve, 2000)); // a build may be rewriting dist/
      }
    }
  }, 120_000);
  afterAll(async () => {
    snapshotBin = undefined;
    if (target !== undefined) await rm(target, { recursive: true, force: true });
  });
  return () => {
    if (snapshotBin === undefined) throw new Error('useBuiltBin(): beforeAll has not run');
    return snapshotBin;
  };
}

/** Environment for spawned bins: a temp home, a fixed app, no colours. */
export function binEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, PORTLEASE_HOME: home, PORTLEASE_APP: 'testapp', NO_COLOR: '1', ...extra };
}

/** A spawned process with its output collected as it comes. */
export interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code (128+n for signal n) once the process has exited and its pipes closed. */
  exited: Promise<number>;
  /** Resolves once stdout contains `text`. */
  waitForOutput(text: string): Promise<void>;
}

/** Spawns a command, collecting its output. */
export function spawnCollect(file: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): Spawned {
  const child = spawn(file, args, { env: options.env, cwd: options.cwd ?? ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  const check = () => {
    for (const waiter of waiters.splice(0)) {
      if (out.includes(waiter.text)) waiter.resolve();
      else waiters.push(waiter);
    }
  };
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    check();
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve(code ?? 128 + (signal === null ? 0 : signalNumber(signal))));
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitForOutput: (text) =>
      new Promise<void>((resolve, reject) => {
        if (out.includes(text)) return resolve();
        waiters.push({ text, resolve });
        exited.then(() => reject(new Error(`exited before printing ${JSON.stringify(text)}; stdout: ${out}; stderr: ${err}`)), reject);
      }),
  };
}

function signalNumber(signal: NodeJS.Signals): number {
  return { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal as string] ?? 0;
}

/** Runs the built bin (the private copy when {@link useBuiltBin} is in use) to completion. */
export async function runBin(args: string[], options: { env: NodeJS.ProcessEnv; cwd?: string }): Promise<Result> {
  const spawned = spawnCollect(process.execPath, [snapshotBin ?? BIN, ...args], options);
  const code = await spawned.exited;
  return { code, stdout: spawned.stdout(), stderr: spawned.stderr() };
}
