#!/usr/bin/env node
/**
 * The `portlease` executable: the only file that touches `process.argv`, `process.exitCode`
 * and process signals. Everything else runs through `main(argv, io)`.
 */
import type { SignalSource } from './command.js';
import { fdSink } from './fd-sink.js';
import { main } from './main.js';

// Node >= 22.1 keeps V8's compiled code of the modules loaded from here on in its compile
// cache (os.tmpdir()/node-compile-cache, or $NODE_COMPILE_CACHE; checksummed, and off with
// NODE_DISABLE_COMPILE_CACHE=1): compiling JavaScript is the largest part of a CLI call's
// own time, and a command's module and the library (~140 of its ~170 kB) load after this
// line. Node 20 has no such API. The cache is this process's only: children do not inherit it.
(process.getBuiltinModule('node:module') as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const FORWARDED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

// This process is portlease's own: its probes may bind through node's TCP handle (see
// probe.ts, OWN_PROCESS; the symbol is spelled out so that the bin loads nothing for it).
(globalThis as Record<symbol, unknown>)[Symbol.for('portlease.own-process')] = true;

/**
 * Signals reach a command only while it listens (`run`, `serve`); while nobody listens,
 * node's default applies and the signal ends the process as usual.
 */
const signals: SignalSource = (listener) => {
  for (const signal of FORWARDED) process.on(signal, listener);
  return () => {
    for (const signal of FORWARDED) process.off(signal, listener);
  };
};

/** process.stdout, built when the sink first needs it (fdSink asks once; see fd-sink.ts). */
function stdoutStream(): NodeJS.WriteStream {
  // `portlease list | head -1` closes the pipe early: that is not an error worth a stack trace.
  return process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

main(process.argv.slice(2), {
  // Neither stream is built unless used: on a pipe each is a net.Socket (see fd-sink.ts).
  stdout: fdSink(1, stdoutStream),
  get stderr() {
    return process.stderr;
  },
  env: process.env,
  cwd: process.cwd(),
  signals,
  // Asked only by `run`, and of the fd: process.stdin would build a stream on fd 0 at every
  // start (about 1 ms when it is /dev/null or a file), and node:tty is loaded only then.
  get terminal() {
    return process.getBuiltinModule('node:tty').isatty(0);
  },
}).then(
  (code) => {
    // exitCode rather than exit(): pending stdout writes to a pipe still flush.
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`portlease: E_UNEXPECTED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
