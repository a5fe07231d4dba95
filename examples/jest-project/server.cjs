const { once } = require('node:events');
const { appendFileSync } = require('node:fs');
const http = require('node:http');

/** A tiny HTTP server that says who it is. */
async function startServer(name, port) {
  const server = http.createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ name, port, pid: process.pid }));
  });
  server.listen(port);
  await once(server, 'listening');
  return server;
}

function stopServer(server) {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

/** GET a JSON document from a local port (node:http: jest 29's sandbox may lack fetch). */
function getJson(port) {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/' }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve(JSON.parse(body)));
      })
      .on('error', reject);
  });
}

/** For portlease's own tests: log the ports this run used when asked to. */
function record(kind, port) {
  const file = process.env.PORTLEASE_EXAMPLE_OUT;
  if (file) appendFileSync(file, `${JSON.stringify({ kind, port, pid: process.pid, t: Date.now() })}\n`);
}

module.exports = { getJson, record, startServer, stopServer };
