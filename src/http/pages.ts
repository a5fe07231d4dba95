/**
 * The small HTML pages the proxy answers with when it cannot forward (pure): which lease
 * did not answer and how to start it (502), which URLs exist (404), which leases collide
 * (409), and a loop (508). Every name is escaped: lease names may hold `<&>` and quotes.
 */
import type { Lease } from '../types.js';
import { urlOf } from '../url.js';

/** A page: status, HTML. */
export interface Page {
  status: number;
  html: string;
}

/**
 * Escapes text for HTML element content and attribute values.
 *
 * @example
 * escapeHtml('a<&>"b'); // 'a&lt;&amp;&gt;&quot;b'
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ENTITIES[char]!);
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function layout(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:48rem;margin:3rem auto;padding:0 1rem;color:#222}code{background:#f3f3f3;padding:0 .25em}</style>
</head><body><h1>${escapeHtml(title)}</h1>\n${body}\n<p><small>portlease</small></p></body></html>\n`;
}

function who(lease: Lease): string {
  return `${lease.service ?? `lease ${lease.id}`} (${lease.app}/${lease.instance})`;
}

/**
 * A list of the live leases' URLs (links), or a line saying there are none.
 *
 * @example
 * urlList(leases, 51234); // '<ul><li><a href="http://web.shop.localhost:51234">…'
 */
export function urlList(leases: readonly Lease[], port: number): string {
  const items = leases
    .map((lease) => ({ lease, url: urlOf(lease, { port }) }))
    .filter((item): item is { lease: Lease; url: string } => item.url !== undefined)
    .sort((a, b) => a.url.localeCompare(b.url))
    .map(({ lease, url }) => `<li><a href="${escapeHtml(url)}">${escapeHtml(url)}</a> → port ${lease.port}: ${escapeHtml(who(lease))}</li>`);
  return items.length === 0 ? '<p>No named lease is live.</p>' : `<ul>\n${items.join('\n')}\n</ul>`;
}

/** 404 for a host no live lease answers to, listing the live URLs. */
export function unknownHostPage(host: string, leases: readonly Lease[], port: number): Page {
  return {
    status: 404,
    html: layout(
      'No lease here',
      `<p>No live lease answers to <code>${escapeHtml(host)}</code>. Start one with <code>portlease run &lt;service&gt; -- &lt;command&gt;</code>, or open one of these:</p>\n${urlList(leases, port)}`,
    ),
  };
}

/** 404 for a path on an app's origin that no path prefix matches (and no lease without a path exists). */
export function noRoutePage(path: string, leases: readonly Lease[], port: number): Page {
  return {
    status: 404,
    html: layout(
      'No route for this path',
      `<p>No lease of this app has a path prefix that matches <code>${escapeHtml(path)}</code>. The app's routes:</p>\n${urlList(leases, port)}`,
    ),
  };
}

/** 409 when several live leases map to the same host or prefix. */
export function ambiguousPage(host: string, leases: readonly Lease[]): Page {
  const items = leases.map(
    (lease) => `<li>${escapeHtml(who(lease))} on port ${lease.port}${lease.path === undefined ? '' : `, path <code>${escapeHtml(lease.path)}</code>`}</li>`,
  );
  return {
    status: 409,
    html: layout(
      'Several leases map to this URL',
      `<p><code>${escapeHtml(host)}</code> names more than one live lease, so the request was not forwarded. Rename one, use the <code>service.instance.app.localhost</code> form, or give each its own <code>--path</code>:</p>\n<ul>\n${items.join('\n')}\n</ul>`,
    ),
  };
}

/** 502 when the lease's port refused, reset or timed out. */
export function badGatewayPage(lease: Lease, reason: string): Page {
  const owner = lease.owner === null ? 'no owner process' : `owner pid ${lease.owner.pid}`;
  const service = lease.service ?? '<service>';
  return {
    status: 502,
    html: layout(
      `${who(lease)} is not answering`,
      `<p>The lease of <strong>${escapeHtml(who(lease))}</strong> holds port <strong>${lease.port}</strong> (${escapeHtml(owner)}), but nothing answered there: ${escapeHtml(reason)}.</p>
<p>Start the service on its port, for example <code>portlease run ${escapeHtml(service)} -- npm run dev</code> (it sets <code>PORT</code>), then reload.</p>`,
    ),
  };
}

/** 504 when the lease's port accepted the request but sent no response in time. */
export function gatewayTimeoutPage(lease: Lease, seconds: number): Page {
  return {
    status: 504,
    html: layout(
      `${who(lease)} did not answer in time`,
      `<p>The request reached <strong>${escapeHtml(who(lease))}</strong> on port <strong>${lease.port}</strong>, but no response began within ${seconds} s. Is the service stuck, or waiting at a breakpoint?</p>`,
    ),
  };
}

/**
 * 421 for a named URL asked on a connection that began with the API or the dashboard:
 * each connection serves one of them (browsers and HTTP clients open one per host).
 */
export function misdirectedPage(host: string): Page {
  return {
    status: 421,
    html: layout(
      'Open a new connection for this URL',
      `<p>This connection began with portlease's own pages, so it does not carry requests for <code>${escapeHtml(host)}</code>. Send the request again on a new connection.</p>`,
    ),
  };
}

/** 508 when a request comes back to the proxy for a lease it already went to. */
export function loopPage(lease: Lease): Page {
  return {
    status: 508,
    html: layout(
      'Loop detected',
      `<p>This request already passed portlease on its way to ${escapeHtml(who(lease))} (port ${lease.port}): forwarding it again would loop. Does the service proxy to its own URL?</p>`,
    ),
  };
}

/** 400 for a request the proxy refuses to forward. */
export function badRequestPage(reason: string): Page {
  return { status: 400, html: layout('Bad request', `<p>${escapeHtml(reason)}</p>`) };
}
