/**
 * The dashboard in a real headless Chromium (Debian's package, driven by playwright-core):
 * live updates from another process, the release button, a page of another origin that
 * tries to release, and the page with every non-loopback request blocked. Skipped, with
 * the reason in the test name, where no Chromium is installed.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, makeTempDir, removeDir, ROOT, startNode, waitForLine } from '../helpers.js';
import { realisticScene, writeManyLeases } from './dashboard-scene.js';
import { serve } from '../../src/http/index.js';
import { startServer, type Harness } from './helpers.js';

const CHROMIUM = process.env['PORTLEASE_CHROMIUM'] ?? '/usr/bin/chromium';
const HAS_CHROMIUM = existsSync(CHROMIUM);
/** Screenshots of each run go here (gitignored); docs/dashboard.png is a copy of one. */
const OUTPUT = join(ROOT, 'test-output');
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

if (!HAS_CHROMIUM)
  it.skip(`dashboard browser tests are SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set PORTLEASE_CHROMIUM)`, () => {});

describe.skipIf(!HAS_CHROMIUM)('dashboard in Chromium', () => {
  let browser: Browser;
  let harness: Harness;
  /** Requests the route interception stopped: any is a failure of "self-contained". */
  const blocked: string[] = [];

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    harness = await startServer();
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.close();
  });

  /** A page in a fresh context whose requests to anything but loopback are aborted. */
  async function newPage(width = 1200, height = 800): Promise<Page> {
    const context = await browser.newContext({ viewport: { width, height } });
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.protocol === 'data:' || LOOPBACK.has(url.hostname)) return route.continue();
      blocked.push(url.href);
      return route.abort('blockedbyclient');
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    (page as Page & { errors: string[] }).errors = errors;
    return page;
  }

  /** Opens the dashboard and waits until its event stream delivered the snapshot. */
  async function openDashboard(page: Page, server = harness): Promise<void> {
    await page.goto(`${server.server.url}/`);
    await page.waitForSelector('#status.live', { timeout: 20_000 });
  }

  it('loads with every request to a non-loopback host blocked, without CSP violations or script errors', async () => {
    await harness.registry.reserve('db', { app: 'shop', instance: 'main', durable: true });
    const page = await newPage();
    const response = await page.goto(`${harness.server.url}/`);
    expect(response?.status()).toBe(200);
    await page.waitForSelector('#status.live', { timeout: 20_000 });
    await page.waitForSelector('tr[data-id]', { timeout: 20_000 });
    expect(await page.locator('h2').first().textContent()).toContain('shop / main');
    expect(blocked).toEqual([]);
    expect((page as Page & { errors: string[] }).errors).toEqual([]);
    await page.context().close();
  });

  it('shows a lease reserved by another process within about a second (latency logged)', async () => {
    const page = await newPage();
    await openDashboard(page);
    // Timestamp each row the moment the page inserts it, in the page's own clock (same machine).
    // (Strings: the test's tsconfig has no DOM types.)
    await page.evaluate(`window.seen = {};
      new MutationObserver(() => {
        for (const row of document.querySelectorAll('tr[data-id]')) window.seen[row.dataset.id] ??= Date.now();
      }).observe(document.body, { childList: true, subtree: true });`);
    // Mark the rows drawn so far: a diff must not rebuild rows it does not change.
    await page.evaluate(`document.querySelectorAll('tr[data-id]').forEach((row) => { row.marked = true; })`);
    const before = (await page.evaluate(`document.querySelectorAll('tr[data-id]').length`)) as number;
    const child = startNode(join(FIXTURES, 'hold.mjs'), [harness.home, 'api'], { PORTLEASE_APP: 'shop', PORTLEASE_INSTANCE: 'main' });
    const [lease] = JSON.parse(await waitForLine(child, /^\[/)) as Array<{ id: number; createdAt: string }>;
    await page.waitForSelector(`tr[data-id="${lease!.id}"]`, { timeout: 20_000 });
    const appeared = (await page.evaluate(`window.seen['${lease!.id}']`)) as number;
    const latency = appeared - Date.parse(lease!.createdAt);
    console.log(`[dashboard] a lease reserved by another process appeared in the page ${latency} ms after it was made`);
    expect(latency).toBeGreaterThanOrEqual(0);
    expect(before).toBeGreaterThan(0);
    expect(await page.evaluate(`[...document.querySelectorAll('tr[data-id]')].filter((row) => row.marked).length`)).toBe(before);
    // The owner is the child: alive, with its command line.
    const owner = await page.locator(`tr[data-id="${lease!.id}"] td.owner`).textContent();
    expect(owner).toContain(`pid ${child.pid}`);
    expect(owner).toContain('alive');
    expect(owner).toContain('hold.mjs');
    child.kill('SIGKILL');
    await child.done;
    // Its owner died and its port is free: shown stale (dead) until pruned.
    await page.waitForSelector(`tr.stale[data-id="${lease!.id}"]`, { timeout: 20_000 });
    await page.context().close();
  });

  it('releases a lease with its button (two clicks)', async () => {
    const lease = await harness.registry.reserve('doomed', { app: 'shop', instance: 'main', durable: true });
    const page = await newPage();
    await openDashboard(page);
    const button = page.locator(`tr[data-id="${lease.id}"] button`);
    await button.click();
    await expect.poll(() => button.textContent()).toBe('Release?');
    await button.click();
    await page.waitForSelector(`tr[data-id="${lease.id}"]`, { state: 'detached', timeout: 20_000 });
    expect((await harness.registry.list()).map((entry) => entry.id)).not.toContain(lease.id);
    await page.context().close();
  });

  it('prunes dead leases with "Prune dead"', async () => {
    const lease = await harness.registry.reserve({ app: 'shop', instance: 'main', label: 'short', ttl: '1s', owner: false });
    const page = await newPage();
    await openDashboard(page);
    await page.waitForSelector(`tr.stale[data-id="${lease.id}"]`, { timeout: 20_000 });
    await page.locator('#prune').click();
    await page.waitForSelector(`tr[data-id="${lease.id}"]`, { state: 'detached', timeout: 20_000 });
    await page.context().close();
  });

  it('a page of another origin (another local port) cannot release: 403, and the lease stays', async () => {
    const lease = await harness.registry.reserve('precious', { app: 'shop', instance: 'main', durable: true });
    const other = await otherOrigin();
    try {
      const page = await newPage();
      // Even a leaked token does not help another origin: its request needs a preflight.
      const token = /name="portlease-token" content="([\w-]+)"/.exec(await (await fetch(`${harness.server.url}/`)).text())![1]!;
      const statuses: number[] = [];
      page.on('response', (response) => {
        if (response.url().includes('/dashboard/release')) statuses.push(response.status());
      });
      await page.goto(other.url);
      const outcome = await page.evaluate(
        async ({ target, id, token }) => {
          const body = JSON.stringify({ id });
          const results: string[] = [];
          // A "simple" request, which browsers send without asking: refused by the server.
          await fetch(`${target}/dashboard/release`, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body }).then(
            () => results.push('simple: sent'),
            () => results.push('simple: blocked'),
          );
          // With the token header: needs a preflight, which is never granted.
          await fetch(`${target}/dashboard/release`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-portlease-token': token },
            body,
          }).then(
            (response) => results.push(`token: ${response.status}`),
            () => results.push('token: blocked'),
          );
          // Nor can it read the page to learn the token.
          await fetch(`${target}/`).then(
            (response) => response.text().then((text) => results.push(`read page: ${text.length}`)),
            () => results.push('read page: blocked'),
          );
          return results;
        },
        { target: harness.server.url, id: lease.id, token },
      );
      expect(outcome).toEqual(['simple: sent', 'token: blocked', 'read page: blocked']);
      // The simple request reached the server and was refused.
      await expect.poll(() => statuses).toContain(403);
      expect(statuses.every((status) => status === 403 || status === 405)).toBe(true);
      expect((await harness.registry.list()).map((entry) => entry.id)).toContain(lease.id);
      await page.context().close();
    } finally {
      await other.close();
    }
  });

  it('reconnects to a restarted server and says that the page must be reloaded for actions', async () => {
    const first = await startServer();
    const page = await newPage();
    try {
      await openDashboard(page, first);
      expect(await page.locator('#problem').textContent()).toBe('');
      const { port } = first.server;
      await first.server.close();
      await page.waitForSelector('#status.bad', { timeout: 20_000 });
      const again = await serve({ port, home: first.home });
      try {
        const lease = await first.registry.reserve('after', { app: 'shop', instance: 'main', durable: true });
        await page.waitForSelector(`tr[data-id="${lease.id}"]`, { timeout: 20_000 });
        expect(await page.locator('#problem').textContent()).toContain('reload the page');
      } finally {
        await again.close();
      }
    } finally {
      await page.context().close();
      await first.close();
    }
  });

  it('renders a realistic machine (screenshot in test-output/) and stays usable at 400 px', async () => {
    const scene = await startServer();
    try {
      await realisticScene(scene.registry);
      const page = await newPage(1280, 900);
      await openDashboard(page, scene);
      await page.waitForSelector('tr.stale', { timeout: 20_000 });
      await expect.poll(() => page.locator('td.listen .yes').count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(4);
      mkdirSync(OUTPUT, { recursive: true });
      await page.screenshot({ path: join(OUTPUT, 'dashboard.png'), fullPage: true });
      await page.setViewportSize({ width: 400, height: 900 });
      // At 400 px the tables become cards: nothing is wider than the window.
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(400);
      await page.screenshot({ path: join(OUTPUT, 'dashboard-400px.png'), fullPage: true });
      await page.fill('#filter', 'postgres');
      await expect.poll(() => page.locator('tr[data-id]').count()).toBe(2);
      await page.context().close();
    } finally {
      await scene.close();
    }
  });

  it('shows 500 leases, filters them, and stays responsive', async () => {
    const home = makeTempDir('portlease-http-');
    writeManyLeases(home, 500);
    const many = await startServer({ home });
    try {
      const page = await newPage();
      const started = Date.now();
      await openDashboard(page, many);
      await expect.poll(() => page.locator('tr[data-id]').count(), { timeout: 20_000 }).toBe(500);
      console.log(`[dashboard] 500 leases loaded and drawn in ${Date.now() - started} ms`);
      expect(await page.locator('tr.stale').count()).toBe(50);
      const filtering = Date.now();
      await page.fill('#filter', 'app-07 wt-3');
      await expect.poll(() => page.locator('tr[data-id]').count()).toBe(5);
      console.log(`[dashboard] filtering 500 leases took ${Date.now() - filtering} ms`);
      await page.context().close();
    } finally {
      await many.close();
      removeDir(home);
    }
  });
});

/** A second local server on another port: another origin, same site (127.0.0.1). */
async function otherOrigin(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>another local app</title><p>another local app');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
