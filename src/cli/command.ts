/**
 * The contract between the CLI's dispatcher (`main.ts`) and its commands
 * (`commands/<name>.ts`). Commands never touch `process`: everything they read or write
 * goes through `Io`, so tests run them in-process with fake streams.
 */

/** A sink for text, such as `process.stdout`. */
export interface TextSink {
  write(chunk: string): unknown;
  /** True when the sink is an interactive terminal (colours allowed unless NO_COLOR). */
  isTTY?: boolean;
}

/** Everything a command may use of its environment. */
export interface Io {
  stdout: TextSink;
  stderr: TextSink;
  /** Environment variables (PORTLEASE_HOME, NO_COLOR, …). */
  env: Record<string, string | undefined>;
  /** Working directory, for app/instance defaults and relative paths. */
  cwd: string;
  /**
   * Resolves when the user asks to stop (SIGINT/SIGTERM/SIGHUP for the real bin), with the
   * signal name. Long-running commands (`run`, `serve`) listen to it; others ignore it.
   */
  signals?: SignalSource;
  /**
   * True when standard input is a terminal: its Ctrl-C sends SIGINT to the whole foreground
   * process group, the children of a command included, so `run` must not send it again.
   */
  terminal?: boolean;
}

/** Subscribe to termination signals; returns an unsubscribe function. */
export type SignalSource = (listener: (signal: NodeJS.Signals) => void) => () => void;

/** One CLI command. `run` returns the exit code: 0 ok, 1 operational failure, 2 usage. */
export interface Command {
  /** Name as typed: `reserve`, `list`, … */
  name: string;
  /** One line for the command list in `portlease --help`. */
  summary: string;
  /** Full `portlease <name> --help` text (usage, flags, examples). */
  help: string;
  /** Runs the command with the arguments after its name. */
  run(argv: string[], io: Io): Promise<number>;
}
