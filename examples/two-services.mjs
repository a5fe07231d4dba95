// The main job of portlease, end to end: two services of one app get ports from a shared
// registry, real HTTP servers start on them, each one calls the other, and the leases are
// released. A second process asking for the same names at the same time would wait for
// the lock, never get the same port, and be told who holds a name.
//
// Run it: npm run example   (uses a temporary registry, never your ~/.portlease)
import { once } from 'node:events';
import { createServer } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openRegistry } from 'portlease';

const home = await mkdtemp(join(tmpdir(), 'portlease-example-'));
const registry = openRegistry({ home });
const scope = { app: 'example-shop', instance: 'default' };

try {
  // Named, sticky leases owned by this process: reclaimed if it dies.
  const api = await registry.reserve('api', scope);
  const web = await registry.reserve('web', scope);

  const apiServer = createServer((_request, response) => {
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ products: ['tea', 'coffee'] }));
  });
  const webServer = createServer(async (_request, response) => {
    // Discovery through the registry: the web service finds the api by name.
    const { port } = await registry.lookup('api', scope);
    const { products } = await (await fetch(`http://127.0.0.1:${port}/`)).json();
    response.end(`<ul>${products.map((name) => `<li>${name}</li>`).join('')}</ul>\n`);
  });
  apiServer.listen(api.port, '127.0.0.1');
  webServer.listen(web.port, '127.0.0.1');
  await Promise.all([once(apiServer, 'listening'), once(webServer, 'listening')]);

  console.log(`registry  ${registry.file}`);
  for (const lease of await registry.list()) {
    console.log(`lease #${lease.id}  ${lease.app}/${lease.instance}/${lease.service}  http://127.0.0.1:${lease.port}/  (owner pid ${lease.owner.pid})`);
  }
  const page = await (await fetch(`http://127.0.0.1:${web.port}/`)).text();
  console.log(`GET web   -> ${page.trim()}`);

  // Asking again from the same process is idempotent: same lease, same port.
  const again = await registry.reserve('api', scope);
  console.log(`reserve('api') again -> lease #${again.id} on ${again.port} (same lease)`);

  apiServer.close();
  webServer.close();
  await api.release();
  await web.release();
  console.log(`released; live leases left: ${(await registry.list()).length}`);

  // Sticky: the same name gets the same port back next time.
  const back = await registry.reserve('api', scope);
  console.log(`reserve('api') after release -> port ${back.port} (${back.port === api.port ? 'sticky: same port' : 'moved: the old one was busy'})`);
  await back.release();
} finally {
  await rm(home, { recursive: true, force: true });
}
