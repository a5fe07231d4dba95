/**
 * `portlease release`: ends leases by service, id, port or app. Nothing to release is
 * `E_NOT_FOUND` (exit 1): a typo in the name must not pass for success. `--missing-ok`
 * makes it exit 0, for `trap … EXIT` where the lease may already be gone.
 */
import { PortleaseError, type LeaseFilter } from '../../index.js';
import type { Command } from '../command.js';
import { namesOf, parseFlags, parseInteger, parsePort, UsageError } from '../args.js';
import { formatJson } from '../output.js';
import { openRegistry } from '../../api.js';
import { checkHome } from '../targets.js';
import { SUMMARIES } from '../summaries.js';

const FLAGS = {
  id: { type: 'string' },
  port: { type: 'string' },
  app: { type: 'string' },
  instance: { type: 'string' },
  'missing-ok': { type: 'boolean' },
} as const;

/** `portlease release`. */
export const command: Command = {
  name: 'release',
  summary: SUMMARIES.release,
  help: `Usage: portlease release <service> [--app A] [--instance I]
       portlease release --id N | --port P
       portlease release --app A [--instance I]
                         [--missing-ok] [--json] [--home DIR]

Releases live leases. With a service, the lease of that service in the current app and
instance (or --app/--instance). The port stays remembered: reserving the service again
returns it whenever it is free. A release without a target is refused, and one that
matches no live lease fails (E_NOT_FOUND) unless --missing-ok says that is fine.

Options:
  --id N         the lease with this id (see \`portlease list\`)
  --port P       the lease on this port, whichever app holds it
  --app A        the app (alone: every lease of the app)
  --instance I   the instance (with --app: every lease of that instance)
  --missing-ok   exit 0 when no live lease matches (for trap … EXIT)
  --json         print {"released": <count>}
  --home DIR     registry directory (default: $PORTLEASE_HOME, else ~/.portlease)

Examples:
  npx portlease release web
  npx portlease release --port 20001
  trap 'npx portlease release web --missing-ok' EXIT

Exit codes: 0 done, 1 nothing matched (E_NOT_FOUND, unless --missing-ok) or registry
failure, 2 usage.
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

    const registry = await checkHome(openRegistry({ home: flags.home, env: io.env, cwd: io.cwd }));
    let count: number;
    if (service !== undefined) {
      count = await registry.release(service, namesOf(flags));
    } else {
      const filter: LeaseFilter = {};
      if (id !== undefined) filter.id = id;
      if (port !== undefined) filter.port = port;
      if (flags.app !== undefined) filter.app = flags.app;
      if (flags.instance !== undefined) filter.instance = flags.instance;
      count = await registry.release(filter);
    }

    if (count === 0 && flags['missing-ok'] !== true) {
      const what = service !== undefined ? `service ${service}` : id !== undefined ? `id ${id}` : port !== undefined ? `port ${port}` : 'that filter';
      throw new PortleaseError('E_NOT_FOUND', `No live lease matches ${what}: nothing was released (--missing-ok accepts that)`);
    }
    if (flags.json === true) io.stdout.write(formatJson({ released: count }));
    else io.stdout.write(`${count} ${count === 1 ? 'lease' : 'leases'} released\n`);
    return 0;
  },
};
