/**
 * `portlease get <service>`: prints the port of a live lease, for scripts and tools that
 * need to find a service another process reserved. Reads without taking the lock.
 */
import { PortleaseError, type Registry } from '../../index.js';
import { probePort } from '../../probe.js';
import type { Command } from '../command.js';
import { namesOf, parseFlags, UsageError } from '../args.js';
import { whoListens } from '../holders.js';
import { formatJson } from '../output.js';
import { openRegistry, defaultScope } from '../../api.js';
import { SUMMARIES } from '../summaries.js';
import { urlOf } from '../../url.js';
import { urlPort } from '../urls.js';

const FLAGS = {
  app: { type: 'string' },
  instance: { type: 'string' },
  url: { type: 'boolean' },
} as const;

/**
 * When the name is held by a dead owner's lease that is kept because its port is still
 * bound, says so and who listens there (the process to stop); else `undefined`.
 */
async function leftBehind(registry: Registry, app: string, instance: string, service: string): Promise<string | undefined> {
  const report = await registry.inspect();
  const dead = report.dead.find((lease) => lease.app === app && lease.instance === instance && lease.service === service);
  if (dead === undefined || (await probePort(dead.port)).free) return undefined;
  const who = (await whoListens(dead.port)) ?? 'a process that the OS does not name';
  const owner = dead.owner === null ? 'its owner' : `process ${dead.owner.pid}`;
  return `Its lease ${dead.id} (port ${dead.port}) is kept after ${owner} exited because ${who} still listens there; stop that process to free the name`;
}

/** `portlease get`. */
export const command: Command = {
  name: 'get',
  summary: SUMMARIES.get,
  help: `Usage: portlease get <service> [--app A] [--instance I] [--url] [--json] [--home DIR]

Prints the port of the live lease of <service> in the current app and instance. Nothing is
reserved: when there is no live lease, it fails with E_NOT_FOUND (exit 1).

Options:
  --app A        app (default: $PORTLEASE_APP, the git repository's name, the folder)
  --instance I   instance (default: $PORTLEASE_INSTANCE, the worktree's folder, 'default')
  --url          print the named URL (http://web.shop.localhost:51234), which answers
                 while \`portlease serve\` runs, instead of the port
  --json         print the lease as JSON, with its "url"
  --home DIR     registry directory (default: $PORTLEASE_HOME, else ~/.portlease)

Examples:
  curl "http://localhost:$(npx portlease get api)/health"
  open "$(npx portlease get web --url)"
  npx portlease get postgres --app shop || echo "start the database first"

Exit codes: 0 found, 1 no live lease (E_NOT_FOUND) or registry failure, 2 usage.
`,
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, FLAGS, { maxPositionals: 1 });
    const service = positionals[0];
    if (service === undefined) throw new UsageError('get needs a service name');
    const registry = openRegistry({ home: flags.home, env: io.env, cwd: io.cwd });
    const scope = defaultScope(registry, namesOf(flags));
    const lease = await registry.lookup(service, scope);
    if (lease === undefined) {
      const why = (await leftBehind(registry, scope.app, scope.instance, service)) ?? `Reserve one with \`portlease reserve ${service}\``;
      throw new PortleaseError('E_NOT_FOUND', `No live lease for '${service}' in ${scope.app}/${scope.instance}. ${why}`);
    }
    const url = urlOf(lease, { port: await urlPort(registry.home) });
    if (flags.url === true && url === undefined) {
      throw new PortleaseError(
        'E_NOT_FOUND',
        `'${service}' has no named URL: its names have no letter or digit for a DNS label. Rename the app, instance or service.`,
      );
    }
    io.stdout.write(flags.json === true ? formatJson(url === undefined ? lease : { ...lease, url }) : flags.url === true ? `${url}\n` : `${lease.port}\n`);
    return 0;
  },
};
