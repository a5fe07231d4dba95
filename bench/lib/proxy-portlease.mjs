/** `portlease serve` for the proxy benchmark, in its own process. argv: dist, home. Prints its port. */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [dist, home] = process.argv.slice(2);
const { serve } = await import(pathToFileURL(join(dist, 'http.js')).href);
const server = await serve({ port: 0, home });
process.stdout.write(`${server.port}\n`);
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
