/**
 * `portlease list`: the live leases of the current app (or every app with --all) as a table,
 * or as a JSON array.
 */
import { hostname } from 'node:os';
import type { Lease, LeaseFilter, Registry } from '../../index.js';
import type { Command, Io } from '../command.js';
import { deadState, whoListens, type LeaseState } from '../holders.js';
import { namesOf, parseFlags, UsageError } from '../args.js';
import { formatJson, formatLeaseTable, styleFor } from '../output.js';
import { openRegistry, defaultScope } from '../../api.js';
import { SUMMARIES } from '../summaries.js';
import { runningServePort } from '../urls.js';
import { urlOf } from '../../url.js';

const FLAGS = {
  all: { type: 'boolean', short: 'a' },
  app: { type: 'string' },
  instance: { type: 'string' },
  service: { type: 'string' },
} as const;

/** `portlease list`. */
export const command: Command = {
  name: 'list',
  summary: SUMMARIES.list,
  help: `Usage: portlease list [--app A | --all] [--instance I] [--service S] [--json] [--home DIR]

Lists live leases: ID, APP, INSTANCE, SERVICE, PORT, OWNER, EXPIRES, CREATED, and the
named URL of each (URL) while \`portlease serve\` runs. By default those of the current app
(the git repository's name, else the folder name).
With --all, every lease in the registry and its STATE: live; expired; dead (its owner
exited: reclaimed at the next write); or dead-bound, with the process that still listens
on its port (kept until the port is free: this is what holds a name nobody live holds).

Options:
  -a, --all      every lease of every app, with its state
  --app A        leases of app A
  --instance I   only this instance
  --service S    only this service
  --json         print a JSON array of leases (with --all, each with "state" and,
                 when dead but bound, "listening"; while the server runs, "url")
  --home DIR     registry directory (default: $PORTLEASE_HOME, else ~/.portlease)

Examples:
  npx portlease list
  npx portlease list --all --json | jq '.[].port'

Exit codes: 0 listed (also when empty), 1 registry failure, 2 usage.
`,
  async run(argv, io) {
    const { flags } = parseFlags(argv, FLAGS);
    if (flags.all === true && flags.app !== undefined) throw new UsageError('Give either --app or --all, not both');
    const registry = openRegistry({ home: flags.home, env: io.env, cwd: io.cwd });
    if (flags.all === true) return listAll(registry, flags, io);

    const filter: LeaseFilter = { app: defaultScope(registry, namesOf(flags)).app };
    if (flags.instance !== undefined) filter.instance = flags.instance;
    if (flags.service !== undefined) filter.service = flags.service;
    const leases = await registry.list(filter);

    if (flags.json === true) {
      io.stdout.write(formatJson(withUrls(leases, await runningServePort(registry.home))));
    } else if (leases.length === 0) {
      io.stderr.write(`No live leases in app '${filter.app}'. (\`portlease list --all\` shows every app.)\n`);
    } else {
      const urlPort = await runningServePort(registry.home);
      io.stdout.write(formatLeaseTable(leases, { now: Date.now(), hostname: hostname(), urlPort }, styleFor(io.stdout, io.env)));
    }
    return 0;
  },
};

/** The leases with their named URL (`url`) while the server runs on `port`; as they are otherwise. */
function withUrls(leases: readonly Lease[], port: number | undefined): Array<Lease & { url?: string }> {
  if (port === undefined) return [...leases];
  return leases.map((lease) => {
    const url = urlOf(lease, { port });
    return url === undefined ? lease : { ...lease, url };
  });
}

/** One row of `list --all`: the lease, its state and, for a dead owner's bound port, who listens there. */
interface Entry {
  lease: Lease;
  state: LeaseState;
  listening?: string;
}

/**
 * Every lease in the registry, whatever its state: also the dead owner's lease kept
 * because its port is still bound, which is why a name can be taken with no live holder.
 */
async function listAll(
  registry: Registry,
  flags: { instance?: string | undefined; service?: string | undefined; json?: boolean | undefined },
  io: Io,
): Promise<number> {
  const report = await registry.inspect();
  const entries: Entry[] = [
    ...report.live.map((lease): Entry => ({ lease, state: 'live' })),
    ...report.expired.map((lease): Entry => ({ lease, state: 'expired' })),
    ...(await Promise.all(
      report.dead.map(async (lease): Promise<Entry> => {
        const state = await deadState(lease);
        const listening = state === 'dead-bound' ? await whoListens(lease.port) : undefined;
        return listening === undefined ? { lease, state } : { lease, state, listening };
      }),
    )),
  ]
    .filter(
      ({ lease }) => (flags.instance === undefined || lease.instance === flags.instance) && (flags.service === undefined || lease.service === flags.service),
    )
    .sort((a, b) => a.lease.id - b.lease.id);

  if (flags.json === true) {
    const port = await runningServePort(registry.home);
    io.stdout.write(
      formatJson(entries.map(({ lease, state, listening }) => ({ ...withUrls([lease], port)[0], state, ...(listening === undefined ? {} : { listening }) }))),
    );
  } else if (entries.length === 0) {
    io.stderr.write('No leases in the registry.\n');
  } else {
    const states = entries.map(({ state, listening }) => (listening === undefined ? state : `${state}: ${listening}`));
    const leases = entries.map(({ lease }) => lease);
    const urlPort = await runningServePort(registry.home);
    io.stdout.write(formatLeaseTable(leases, { now: Date.now(), hostname: hostname(), urlPort }, styleFor(io.stdout, io.env), states));
  }
  return 0;
}
