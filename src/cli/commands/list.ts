/**
 * `portlease list`: the live leases of the current app (or every app with --all) as a table,
 * or as a JSON array.
 */
import { hostname } from 'node:os';
import type { LeaseFilter } from '../../index.js';
import type { Command } from '../command.js';
import { parseFlags, UsageError } from '../args.js';
import { formatJson, formatLeaseTable, styleFor } from '../output.js';
import { registryFor, resolvedScope } from '../scope.js';

const FLAGS = {
  all: { type: 'boolean', short: 'a' },
  app: { type: 'string' },
  instance: { type: 'string' },
  service: { type: 'string' },
} as const;

/** `portlease list`. */
export const command: Command = {
  name: 'list',
  summary: 'List live leases of the current app (--all: every app)',
  help: `Usage: portlease list [--app A | --all] [--instance I] [--service S] [--json] [--home DIR]

Lists live leases: ID, APP, INSTANCE, SERVICE, PORT, OWNER, EXPIRES, CREATED. By default
those of the current app (the git repository's name, else the folder name).

Options:
  -a, --all      leases of every app
  --app A        leases of app A
  --instance I   only this instance
  --service S    only this service
  --json         print a JSON array of leases
  --home DIR     registry directory (default: $PORTLEASE_HOME, else ~/.portlease)

Examples:
  npx portlease list
  npx portlease list --all --json | jq '.[].port'

Exit codes: 0 listed (also when empty), 1 registry failure, 2 usage.
`,
  async run(argv, io) {
    const { flags } = parseFlags(argv, FLAGS);
    if (flags.all === true && flags.app !== undefined) throw new UsageError('Give either --app or --all, not both');

    const filter: LeaseFilter = {};
    let scopeName = 'any app';
    if (flags.all !== true) {
      filter.app = resolvedScope(flags, io).app;
      scopeName = `app '${filter.app}'`;
    }
    if (flags.instance !== undefined) filter.instance = flags.instance;
    if (flags.service !== undefined) filter.service = flags.service;
    const leases = await registryFor(flags, io).list(filter);

    if (flags.json === true) {
      io.stdout.write(formatJson(leases));
    } else if (leases.length === 0) {
      io.stderr.write(`No live leases in ${scopeName}.${flags.all === true ? '' : ' (`portlease list --all` shows every app.)'}\n`);
    } else {
      io.stdout.write(formatLeaseTable(leases, { now: Date.now(), hostname: hostname() }, styleFor(io.stdout, io.env)));
    }
    return 0;
  },
};
