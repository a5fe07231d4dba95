/**
 * `portlease get <service>`: prints the port of a live lease, for scripts and tools that
 * need to find a service another process reserved. Reads without taking the lock.
 */
import { PortleaseError } from '../../index.js';
import type { Command } from '../command.js';
import { parseFlags, UsageError } from '../args.js';
import { formatJson } from '../output.js';
import { registryFor, resolvedScope } from '../scope.js';

const FLAGS = {
  app: { type: 'string' },
  instance: { type: 'string' },
} as const;

/** `portlease get`. */
export const command: Command = {
  name: 'get',
  summary: "Print the port of a service's live lease (exit 1 when none)",
  help: `Usage: portlease get <service> [--app A] [--instance I] [--json] [--home DIR]

Prints the port of the live lease of <service> in the current app and instance. Nothing is
reserved: when there is no live lease, it fails with E_NOT_FOUND (exit 1).

Options:
  --app A        app (default: $PORTLEASE_APP, the git repository's name, the folder)
  --instance I   instance (default: $PORTLEASE_INSTANCE, the worktree's folder, 'default')
  --json         print the lease as JSON
  --home DIR     registry directory (default: $PORTLEASE_HOME, else ~/.portlease)

Examples:
  curl "http://localhost:$(npx portlease get api)/health"
  npx portlease get postgres --app shop || echo "start the database first"

Exit codes: 0 found, 1 no live lease (E_NOT_FOUND) or registry failure, 2 usage.
`,
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, FLAGS, { maxPositionals: 1 });
    const service = positionals[0];
    if (service === undefined) throw new UsageError('get needs a service name');
    const scope = resolvedScope(flags, io);
    const lease = await registryFor(flags, io).lookup(service, scope);
    if (lease === undefined) {
      throw new PortleaseError(
        'E_NOT_FOUND',
        `No live lease for '${service}' in ${scope.app}/${scope.instance}. Reserve one with \`portlease reserve ${service}\``,
      );
    }
    io.stdout.write(flags.json === true ? formatJson(lease) : `${lease.port}\n`);
    return 0;
  },
};
