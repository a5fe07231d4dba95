/**
 * The bin's stdout: a {@link TextSink} that writes to the file descriptor with
 * `fs.writeSync`, and builds `process.stdout` only when something needs the stream.
 *
 * Why: `process.stdout` on a pipe — `PORT=$(portlease reserve web)`, any script — is a
 * net.Socket, and building it loads node:net and the stream modules (~1.5 ms of a ~40 ms
 * start) to print one line. A write to the descriptor says the same thing, in the same order.
 */
import { writeSync } from 'node:fs';
import type { TextSink } from './command.js';

/** The sink's stream, built by `process.stdout` (or a test's stand-in). */
type StreamOf = () => NodeJS.WritableStream & { isTTY?: boolean };

/**
 * A sink over `fd` that writes directly until the stream is asked for (`isTTY`: colours),
 * or a direct write cannot finish: `EAGAIN` (a non-blocking pipe that is full: the stream
 * waits for it), or any error (`EPIPE`: the stream reports it as it always did, to the
 * bin's handler). From then on every write goes through the stream, so the order holds.
 * On Windows the stream is used from the start: a console wants its own writes (UTF-16).
 *
 * @example
 * const stdout = fdSink(1, () => process.stdout);
 * stdout.write('22226\n');
 */
export function fdSink(fd: number, streamOf: StreamOf, platform: NodeJS.Platform = process.platform): TextSink & { fd: number } {
  let stream = platform === 'win32' ? streamOf() : undefined;
  const viaStream = () => (stream ??= streamOf());
  return {
    fd,
    get isTTY() {
      return viaStream().isTTY === true;
    },
    write(chunk: string) {
      if (stream !== undefined) return stream.write(chunk);
      const bytes = Buffer.from(chunk, 'utf8');
      let done = 0;
      try {
        while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
        return true;
      } catch {
        return viaStream().write(bytes.subarray(done));
      }
    },
  };
}
