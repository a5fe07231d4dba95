/**
 * `portlease prune`: removes leases whose owner died or whose ttl passed. Every write does
 * this anyway; the command makes it visible (and `--dry-run` shows what would go).
 */
import { hostname } from 'node:os';
import type { Command } from '../command.js';
import { parseFlags } from '../args.js';
import { openRegistry } from '../../api.js';
import { checkHome } from '../targets.js';
import { formatJson, formatLeaseTable, styleFor } from '../output.js';
import { SUMMARIES } from '../summaries.js';

const FLAGS = {
  'dry-run': { type: 'boolean', short: 'n' },
} as const;

/** `portlease prune`. */
export const command: Command = {
  name: 'prune',
  summary: SUMMARIES.prune,
  help: `Usage: portlease prune [--dry-run] [--json] [--home DIR]

Removes leases whose owning process is dead or whose ttl has passed, and prints them.
Any write to the registry does the same lazily; durable leases are never pruned.

Options:
  -n, --dry-run  only show what would be removed
  --json         print a JSON array of the removed leases
  --home DIR     registry directory (default: $PORTLEASE_HOME, else ~/.portlease)

Exit codes: 0 ok, 1 registry failure, 2 usage.
`,
  async run(argv, io) {
    const { flags } = parseFlags(argv, FLAGS);
    const dryRun = flags['dry-run'] === true;
    const opened = openRegistry({ home: flags.home, env: io.env, cwd: io.cwd });
    const registry = dryRun ? opened : await checkHome(opened);
    const removed = await registry.prune({ dryRun });
    if (flags.json === true) {
      io.stdout.write(formatJson(removed));
      return 0;
    }
    const noun = removed.length === 1 ? 'lease' : 'leases';
    io.stdout.write(`${dryRun ? 'Would remove' : 'Removed'} ${removed.length} dead or expired ${noun}.\n`);
    if (removed.length > 0) {
      io.stdout.write(formatLeaseTable(removed, { now: Date.now(), hostname: hostname() }, styleFor(io.stdout, io.env)));
    }
    return 0;
  },
};
