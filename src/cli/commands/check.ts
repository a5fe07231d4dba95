/**
 * `portlease check <port>`: is the port free? Says who holds it in the registry, whether
 * the OS has it bound, and which process listens where the OS shows it.
 */
import { hostname } from 'node:os';
import type { Command } from '../command.js';
import { parseFlags, parsePort, UsageError } from '../args.js';
import { openRegistry } from '../../api.js';
import { findListeners, type Listener } from '../listeners.js';
import { describeLease, formatJson, styleFor } from '../output.js';
import { SUMMARIES } from '../summaries.js';

/** `portlease check`. */
export const command: Command = {
  name: 'check',
  summary: SUMMARIES.check,
  help: `Usage: portlease check <port> [--json] [--home DIR]

Checks one port: whether a live lease holds it (and whose), whether the OS has it bound
on ::, 0.0.0.0, 127.0.0.1 or ::1, and which process listens on it where the OS shows it
(/proc on Linux, lsof on macOS; other users' processes stay anonymous).

Options:
  --json       print {port, free, bound, busyOn, holder, listeners}
  --home DIR   registry directory (default: $PORTLEASE_HOME, else ~/.portlease)

Examples:
  npx portlease check 20001 && echo free
  npx portlease check 5432 --json

Exit codes: 0 free, 1 taken (leased or bound) or registry failure, 2 usage.
`,
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, {}, { maxPositionals: 1 });
    const text = positionals[0];
    if (text === undefined) throw new UsageError('check needs a port number');
    const port = parsePort('port', text);
    const result = await openRegistry({ home: flags.home, env: io.env, cwd: io.cwd }).checkPort(port);
    const listeners = result.bound ? await findListeners(port) : [];
    const free = result.free;

    if (flags.json === true) {
      io.stdout.write(formatJson({ ...result, listeners }));
      return free ? 0 : 1;
    }
    const style = styleFor(io.stdout, io.env);
    const lines = [
      `${port} is ${free ? style.green('free') : style.red('taken')}`,
      `  registry  ${result.holder === null ? 'no live lease' : `leased by ${describeLease(result.holder, hostname())}`}`,
      `  os        ${result.bound ? `bound${describeListeners(listeners)}` : 'not bound'}`,
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
    return free ? 0 : 1;
  },
};

function describeListeners(listeners: readonly Listener[]): string {
  if (listeners.length === 0) return '';
  const parts = listeners.map((listener) => {
    const who = listener.pid === null ? 'a process not visible to you' : `pid ${listener.pid}${listener.command === null ? '' : ` (${listener.command})`}`;
    return `${listener.address} by ${who}`;
  });
  return `: ${parts.join('; ')}`;
}
