/**
 * The backend of the proxy benchmark, in its own process: `GET /` answers 2 bytes,
 * `GET /1mb` answers 1 MiB, WebSocket messages are echoed, and `GET /__stats` tells how
 * many connections it accepted and the most open at once (`?reset` starts over).
 * argv: port. Prints `ready` once listening.
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2]);
const big = Buffer.alloc(1024 * 1024, 'x');
let open = 0;
let max = 0;
let total = 0;
const server = createServer((req, res) => {
  if (req.url === '/1mb') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(big.length) });
    return res.end(big);
  }
  if (req.url?.startsWith('/__stats')) {
    const body = JSON.stringify({ open, max, total });
    if (req.url.includes('reset')) {
      max = open;
      total = 0;
    }
    return res.end(body);
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
  res.end('ok');
});
server.keepAliveTimeout = 30_000;
server.on('connection', (socket) => {
  open += 1;
  total += 1;
  max = Math.max(max, open);
  socket.on('close', () => (open -= 1));
});
const wss = new WebSocketServer({ server });
wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
