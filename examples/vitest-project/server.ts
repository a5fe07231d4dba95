import { once } from 'node:events';
import { appendFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';

/** A tiny HTTP server that says who it is. */
export async function startServer(name: string, port: number): Promise<Server> {
  const server = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ name, port, pid: process.pid }));
  });
  server.listen(port);
  await once(server, 'listening');
  return server;
}

/** GET a JSON document from a local port. */
export async function getJson(port: number): Promise<{ name: string; port: number; pid: number }> {
  const response = await fetch(`http://127.0.0.1:${port}/`);
  return (await response.json()) as { name: string; port: number; pid: number };
}

export function stopServer(server: Server | undefined): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}

/** For portlease's own tests: log the ports this run used when asked to. */
export function record(kind: string, port: number): void {
  const file = process.env['PORTLEASE_EXAMPLE_OUT'];
  if (file) appendFileSync(file, `${JSON.stringify({ kind, port, pid: process.pid, t: Date.now() })}\n`);
}
