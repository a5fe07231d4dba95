/**
 * The dashboard page: one self-contained HTML document (inline style and script, no
 * external resource), served with a Content-Security-Policy that allows exactly that
 * style and script (by hash) and connections to this server alone.
 */
import { createHash } from 'node:crypto';
import { SCRIPT } from './client.js';
import { STYLE } from './style.js';

const hash = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** The page's Content-Security-Policy: its own inline style and script only, requests to itself only, no framing. */
export const PAGE_CSP = [
  "default-src 'none'",
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(STYLE)}`,
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The page's HTML, with the action token in a `<meta>` element: a page of another origin
 * cannot read this document, so it cannot learn the token (see actions.ts). `instance`
 * names this server's run, so that a page whose event stream reconnects to a restarted
 * server can tell that its token is void.
 *
 * @example
 * renderPage('k3…', '9f2c…'); // '<!doctype html>…'
 */
export function renderPage(token: string, instance: string): string {
  // Both are base64url or hex (no character needs escaping in an attribute); checked anyway.
  if (!/^[\w-]+$/.test(token) || !/^[\w-]+$/.test(instance)) throw new TypeError('the dashboard token and instance must be base64url');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="portlease-token" content="${token}">
<meta name="portlease-server" content="${instance}">
<title>portlease: leases on this machine</title>
<link rel="icon" href="data:,">
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>portlease</h1>
<span id="summary" aria-live="polite">loading…</span>
<input id="filter" type="search" placeholder="Filter: app, service, port, pid, command…" aria-label="Filter leases" autocomplete="off">
<button id="prune" type="button" disabled title="Remove leases whose owner died or whose ttl ran out">Prune dead</button>
<span id="status">connecting…</span>
</header>
<p id="problem" role="alert"></p>
<main id="groups"><noscript>This page needs JavaScript; <code>portlease list --all</code> shows the same leases.</noscript></main>
<script>${SCRIPT}</script>
</body>
</html>
`;
}
