/**
 * `portlease reserve <service>`: reserves a port and prints only the number, so that
 * `PORT=$(npx portlease reserve web)` works. The CLI exits at once, so its own pid cannot
 * own the lease: leases are durable unless `--ttl` or `--owner-pid` ties them to something.
 */
import type { ReserveOptions } from '../../index.js';
import type { Command } from '../command.js';
import { namesOf, parseFlags, parseInteger, parsePortList, UsageError } from '../args.js';
import { openRegistry } from '../../api.js';
import { checkHome } from '../targets.js';
import { formatJson } from '../output.js';
import { SUMMARIES } from '../summaries.js';
import { urlOf } from '../../url.js';
import { urlPort } from '../urls.js';

const FLAGS = {
  port: { type: 'string' },
  prefer: { type: 'string' },
  range: { type: 'string' },
  ttl: { type: 'string' },
  'owner-pid': { type: 'string' },
  app: { type: 'string' },
  instance: { type: 'string' },
  label: { type: 'string' },
  claim: { type: 'boolean' },
  path: { type: 'string' },
  'strip-path': { type: 'boolean' },
} as const;

/** `portlease reserve`. */
export const command: Command = {
  name: 'reserve',
  summary: SUMMARIES.reserve,
  help: `Usage: portlease reserve <service> [--port N[,M…] | --prefer N[,M…] | --range A-B] [--ttl 2h] [--owner-pid PID]
                         [--app A] [--instance I] [--claim] [--path /api [--strip-path]]
                         [--json] [--home DIR]
       portlease reserve --ttl 2h | --owner-pid PID [--label L]     (anonymous)

Reserves a port for <service> in the current app/instance and prints only the port number.
Asking again for the same service prints the same port; a released service gets its old
port back whenever it is free (sticky).

The CLI exits at once, so the lease cannot belong to its process: it is durable (lives until
\`portlease release\`) unless --ttl or --owner-pid ties it to a time or a process. Asking
again sets the lifetime asked for on the same lease: --ttl renews or adds an expiry, no
--ttl/--owner-pid makes it durable again. A lease owned by another live process is refused
(E_SERVICE_LEASED), unless --owner-pid names that very process.

Options:
  --port N[,M…]    exactly this port (or the first free of these); fails if taken
  --prefer N[,M…]  this port if free (or the first free of these), else one from the range
  --range A-B      choose from this range (default: $PORTLEASE_RANGE, else 20000-29999)
  --ttl DURATION   expire after 30s, 15m, 2h, 7d… (renewed by reserving again with --ttl)
  --owner-pid PID  released once process PID exits (e.g. --owner-pid $$ for this shell)
  --app A          app name (default: $PORTLEASE_APP, the git repository's name, the folder)
  --instance I     instance (default: $PORTLEASE_INSTANCE, the worktree's folder, 'default')
  --label L        display label of an anonymous lease
  --claim          register a port the service already has bound (needs --port; no OS check)
  --path /api      route prefix on the app's named URL: http://<app>.localhost:51234/api/…
                   reaches this service through \`portlease serve\` (whole segments only)
  --strip-path     forward without the prefix (/api/x arrives as /x); needs --path
  --json           print the lease as JSON, with its named URL ("url")
  --home DIR       registry directory (default: $PORTLEASE_HOME, else ~/.portlease)

Examples:
  PORT=$(npx portlease reserve web)
  npx portlease reserve api --ttl 8h
  npx portlease reserve web --prefer 3000
  npx portlease reserve db --port 5432 --claim
  npx portlease reserve --owner-pid $$ --label scratch
  npx portlease reserve api --path /api

Exit codes: 0 reserved, 1 taken / no free port / registry failure, 2 usage.
`,
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, FLAGS, { maxPositionals: 1 });
    const service = positionals[0];
    if (flags.port !== undefined && flags.range !== undefined) {
      throw new UsageError('Give either --port or --range, not both (--prefer N --range A-B: N if free, else one from A-B)');
    }
    if (flags.port !== undefined && flags.prefer !== undefined) throw new UsageError('Give either --port or --prefer, not both');
    if (flags.claim === true && flags.port === undefined) throw new UsageError('--claim needs --port');
    const ownerPid = flags['owner-pid'] === undefined ? undefined : parseInteger('--owner-pid', flags['owner-pid'], 1, 2 ** 31 - 1);
    if (service === undefined && flags.ttl === undefined && ownerPid === undefined) {
      throw new UsageError('reserve needs a service name, or --ttl / --owner-pid for an anonymous lease (for a throwaway port, use `portlease free`)');
    }
    if (service !== undefined && flags.label !== undefined) {
      throw new UsageError('--label is for anonymous leases; a named lease is known by its service');
    }

    const options: ReserveOptions = namesOf(flags);
    if (flags.port !== undefined) {
      const ports = parsePortList('--port', flags.port);
      options.port = ports.length === 1 ? (ports[0] as number) : ports;
    }
    if (flags.prefer !== undefined) options.prefer = parsePortList('--prefer', flags.prefer);
    if (flags.range !== undefined) options.range = flags.range;
    if (flags.label !== undefined) options.label = flags.label;
    if (flags.claim === true) options.claim = true;
    if (flags['strip-path'] === true && flags.path === undefined) throw new UsageError('--strip-path needs --path');
    if (flags.path !== undefined) {
      if (service === undefined) throw new UsageError('--path needs a service name: anonymous leases have no named URL');
      options.path = flags.path;
      if (flags['strip-path'] === true) options.stripPath = true;
    }
    if (flags.ttl !== undefined || ownerPid !== undefined) {
      options.owner = ownerPid ?? false;
      if (flags.ttl !== undefined) options.ttl = flags.ttl;
    } else {
      options.durable = true;
    }

    const registry = await checkHome(openRegistry({ home: flags.home, env: io.env, cwd: io.cwd }));
    const lease = service === undefined ? await registry.reserve(options) : await registry.reserve(service, options);
    if (flags.json === true) {
      const url = urlOf(lease, { port: await urlPort(registry.home) });
      io.stdout.write(formatJson(url === undefined ? lease : { ...lease, url }));
    } else io.stdout.write(`${lease.port}\n`);
    return 0;
  },
};
