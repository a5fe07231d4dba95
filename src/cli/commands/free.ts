/**
 * `portlease free`: OS-assigned free ports, not leased. For a throwaway port that nothing
 * else needs to find; use `reserve` when other processes must not take it.
 */
import { getOsFreePort } from '../../index.js';
import type { Command } from '../command.js';
import { parseFlags, parseInteger } from '../args.js';
import { formatJson } from '../output.js';
import { SUMMARIES } from '../summaries.js';

const FLAGS = {
  count: { type: 'string', short: 'n' },
} as const;

/** `portlease free`. */
export const command: Command = {
  name: 'free',
  summary: SUMMARIES.free,
  help: `Usage: portlease free [--count N] [--json]

Prints N distinct ports that the OS reports free right now on ::, 0.0.0.0, 127.0.0.1
and ::1, one per line. They are not leased: another process may take them at any time.
Use \`portlease reserve\` for a port that must stay yours.

Options:
  -n, --count N  how many ports (default 1, at most 100)
  --json         print a JSON array of numbers

Examples:
  npx portlease free
  npx portlease free --count 3

Exit codes: 0 ok, 1 the OS gave no port, 2 usage.
`,
  async run(argv, io) {
    const { flags } = parseFlags(argv, FLAGS);
    const count = flags.count === undefined ? 1 : parseInteger('--count', flags.count, 1, 100);
    const ports: number[] = [];
    for (let index = 0; index < count; index++) {
      ports.push(await getOsFreePort({ exclude: ports }));
    }
    io.stdout.write(flags.json === true ? formatJson(ports) : ports.map((port) => `${port}\n`).join(''));
    return 0;
  },
};
