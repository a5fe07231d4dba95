/**
 * The ceiling of the proxy benchmark, in its own process: a raw TCP relay that opens one
 * backend connection per client connection and passes bytes both ways with node:net, no HTTP
 * parsing at all. It does the least any Node proxy must do per request — read from one
 * socket, write to the other, in both directions — so a proxy's throughput over the relay's
 * says how much of the cost is its own work rather than Node's sockets and the extra hop.
 *
 * It reads the backend the way `portlease serve` does (src/http/backend.ts, flow.ts): into
 * one buffer of 64 KiB that every read reuses (`onread`), written straight to the client,
 * backend reads paused until the client has taken it. A `pipe()` relay allocates a buffer
 * per read and goes through the stream machinery: portlease beat it on the 1 MiB GET, so it
 * was no ceiling there (and it took more memory than portlease). Client bytes (small
 * requests) go to the backend as 'data' events, the client paused while the backend's
 * socket is full.
 *
 * It is NOT an HTTP proxy: it pins a client connection to one backend for the connection's
 * life, so a second keep-alive request with another Host would go to the first one's backend.
 * That is exactly what `portlease serve` must not do (it routes every request by its Host).
 * argv: backend port. Prints its own port.
 */
import { connect, createServer } from 'node:net';

const backendPort = Number(process.argv[2]);
const READ_SIZE = 64 * 1024;

const server = createServer({ noDelay: true }, (client) => {
  let held = false;
  // The read buffer is free again once the client has written everything it was given.
  const flushed = () => {
    if (held && client.writableLength === 0) {
      held = false;
      backend.resume();
    }
  };
  const onread = {
    buffer: Buffer.allocUnsafe(READ_SIZE),
    callback: (length, buffer) => {
      client.write(Buffer.from(buffer.buffer, buffer.byteOffset, length), flushed);
      // Still queued: the next read would overwrite those bytes, so none comes until they are out.
      if (client.writableLength > 0 && !held) {
        held = true;
        backend.pause();
      }
      return true;
    },
  };
  const backend = connect({ port: backendPort, host: '127.0.0.1', noDelay: true, onread });
  client.on('data', (bytes) => {
    if (!backend.write(bytes)) {
      client.pause();
      backend.once('drain', () => client.resume());
    }
  });
  client.on('end', () => backend.end());
  backend.on('end', () => client.end());
  // An end is passed on above, after the bytes queued before it; a reset tears down the other side.
  client.on('error', () => backend.destroy());
  backend.on('error', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
