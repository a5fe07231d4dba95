/**
 * The ceiling of the proxy benchmark, in its own process: a raw TCP relay that opens one
 * backend connection per client connection and pipes bytes both ways with node:net, no HTTP
 * parsing at all. It does the least any Node proxy must do per request — read from one
 * socket, write to the other, in both directions — so no Node proxy on this machine can be
 * faster than it, and a proxy's throughput over the relay's says how much of the cost is its
 * own work rather than Node's sockets and the extra process hop.
 *
 * It is NOT an HTTP proxy: it pins a client connection to one backend for the connection's
 * life, so a second keep-alive request with another Host would go to the first one's backend.
 * That is exactly what `portlease serve` must not do (it routes every request by its Host).
 * argv: backend port. Prints its own port.
 */
import { connect, createServer } from 'node:net';

const backendPort = Number(process.argv[2]);
const server = createServer({ noDelay: true }, (client) => {
  const backend = connect({ port: backendPort, host: '127.0.0.1', noDelay: true });
  client.pipe(backend);
  backend.pipe(client);
  // pipe() forwards an end but not an error: a reset on one side tears down the other.
  client.on('error', () => backend.destroy());
  backend.on('error', () => client.destroy());
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
