/**
 * http-proxy (node-http-proxy) for the proxy benchmark, in its own process, as its README
 * recommends for throughput: a keep-alive agent, `ws: true` for WebSockets.
 * argv: backend port. Prints its own port.
 */
import { Agent, createServer } from 'node:http';
import httpProxy from 'http-proxy';

const target = `http://127.0.0.1:${process.argv[2]}`;
const proxy = httpProxy.createProxyServer({ target, agent: new Agent({ keepAlive: true, maxSockets: 64 }), xfwd: true, ws: true });
proxy.on('error', (_error, _req, res) => {
  if (res && 'writeHead' in res && !res.headersSent) {
    res.writeHead(502);
    res.end();
  } else res?.destroy?.();
});
const server = createServer((req, res) => proxy.web(req, res));
server.on('upgrade', (req, socket, head) => proxy.ws(req, socket, head));
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
