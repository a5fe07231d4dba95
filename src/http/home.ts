/**
 * The pages on the loopback hosts besides the `/v1` API: today `GET /`, a plain list of
 * the live named URLs. Issue 14's dashboard replaces {@link localPage} (and may answer
 * more paths, such as `/events`); the server only calls it, for `GET`/`HEAD` requests that
 * passed the API's Host and cross-site checks and are not API routes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LiveRoutes } from './live-routes.js';
import { urlList } from './pages.js';

/** What a local page may read. */
export interface LocalPageContext {
  routes: LiveRoutes;
  /** The server's port, for the URLs shown. */
  port: number;
}

/**
 * Answers a local page, or returns `false` to leave the request to the API (a JSON 404).
 *
 * @example
 * if (await localPage(req, res, '/', context)) return;
 */
export async function localPage(req: IncomingMessage, res: ServerResponse, path: string, context: LocalPageContext): Promise<boolean> {
  if (path !== '/') return false;
  const { leases } = await context.routes.get();
  const html = `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>portlease</title></head><body>
<h1>portlease</h1>\n<p>Live named URLs (the <a href="/v1/allocations">/v1 API</a> lists every lease):</p>\n${urlList(leases, context.port)}\n</body></html>\n`;
  res.writeHead(200, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(html)),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(req.method === 'HEAD' ? undefined : html);
  return true;
}
