/**
 * `portlease release`: ends leases by service, id, port or app. Releasing what is already
 * gone is not an error (exit 0, "0 leases released"), so it is safe in `trap … EXIT`.
 */
import type { LeaseFilter } from '../../index.js';
import type { Command } from '../command.js';
import { parseFlags, parseInteger, parsePort, UsageError } from '../args.js';
import { formatJson } from '../output.js';
import { resolvedScope, writableRegistryFor } from '../scope.js';

const FLAGS = {
  id: { type: 'string' },
  port: { type: 'string' },
  app: { type: 'string' },
  instance: { type: 'string' },
} as const;

/** `portlease release`. */
export const command: Command = {
  name: 'release',
  summary: 'Release leases by service, --id, --port or --app',
  help: `Usage: portlease release <service> [--app A] [--instance I]
       portlease release --id N | --port P
       portlease release --app A [--instance I]
                         [--json] [--home DIR]

Releases live leases. With a service, the lease of that service in the current app and
instance (or --app/--instance). The port stays remembered: reserving the service again
returns it whenever it is free. A release without a target is refused.

Options:
  --id N         the lease with this id (see \`portlease list\`)
  --port P       the lease on this port, whichever app holds it
  --app A        the app (alone: every lease of the app)
  --instance I   the instance (with --app: every lease of that instance)
  --json         print {"released": <count>}
  --home DIR     registry directory (default: $PORTLEASE_HOME, else ~/.portlease)

Examples:
  npx portlease release web
  npx portlease release --port 20001
  trap 'npx portlease release web' EXIT

Exit codes: 0 done (also when nothing matched), 1 registry failure, 2 usage.
`,
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, FLAGS, { maxPositionals: 1 });
    const service = positionals[0];
    const id = flags.id === undefined ? undefined : parseInteger('--id', flags.id, 1, Number.MAX_SAFE_INTEGER);
    const port = flags.port === undefined ? undefined : parsePort('--port', flags.port);
    const targets = [service, id, port].filter((target) => target !== undefined).length;
    if (targets > 1) throw new UsageError('Give one target: a service, --id or --port');
    if (targets === 0 && flags.app === undefined) {
      if (flags.instance !== undefined) throw new UsageError('--instance needs --app (or a service)');
      throw new UsageError('release needs a target: a service, --id N, --port P or --app A');
    }

    const registry = await writableRegistryFor(flags, io);
    let count: number;
    if (service !== undefined) {
      count = await registry.release(service, resolvedScope(flags, io));
    } else {
      const filter: LeaseFilter = {};
      if (id !== undefined) filter.id = id;
      if (port !== undefined) filter.port = port;
      if (flags.app !== undefined) filter.app = flags.app;
      if (flags.instance !== undefined) filter.instance = flags.instance;
      count = await registry.release(filter);
    }

    if (flags.json === true) io.stdout.write(formatJson({ released: count }));
    else io.stdout.write(`${count} ${count === 1 ? 'lease' : 'leases'} released\n`);
    return 0;
  },
};
