/**
 * Helpers of the CLI tests: fake streams and signals for the in-process `main(argv, io)`,
 * and a trap for a command that reads process.env instead of `io.env`. Temp folders,
 * spawning the built bin and ports come from the core (test/helpers.ts), re-exported here.
 */
import { fileURLToPath } from 'node:url';
import { readdirSync } from 'node:fs';
import { afterAll, afterEach } from 'vitest';
import type { Io, SignalSource } from '../../src/cli/command.js';
import { main } from '../../src/cli/main.js';
import { makeTempDir, removeDir, type Result } from '../helpers.js';

export * from '../helpers.js';
/** The CLI tests' own fixtures (test/cli/fixtures). */
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/**
 * A trap: the library falls back to process.env.PORTLEASE_HOME when a command forgets to
 * pass the home from `io.env`. Point it at a folder that must stay untouched (and so never
 * at the real ~/.portlease).
 */
const TRAP_HOME = makeTempDir('portlease-trap-');
process.env.PORTLEASE_HOME = TRAP_HOME;
afterEach(() => {
  if (readdirSync(TRAP_HOME).length > 0) {
    throw new Error(`a command used process.env.PORTLEASE_HOME instead of io.env: ${TRAP_HOME} was written`);
  }
});
afterAll(() => removeDir(TRAP_HOME));

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
