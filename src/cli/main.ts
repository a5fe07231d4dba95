/**
 * The dispatcher: `main(argv, io)` picks the command, loads its module lazily, runs it and
 * turns every thrown error into one line (or one JSON document) and an exit code. It never
 * touches `process`; `bin.ts` does that.
 */
import type { Command, Io } from './command.js';
import { commands } from './commands/index.js';
import { wantsHelp, wantsJson } from './args.js';
import { errorReport, exitCodeOf, formatErrorLine, formatJsonError, styleFor, type ErrorReport } from './output.js';
import { readVersion } from './version.js';

/** Exit codes, as documented in `portlease --help` and the README. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

const EXIT_CODES_HELP = `Exit codes:
  0  success (\`check\`: the port is free)
  1  operational failure: port taken, no free port, nothing found, lock timeout, …
     (\`run\` exits with its command's code instead, 128+n when it died of signal n)
  2  usage error: unknown command or flag, bad value, missing argument`;

/**
 * Runs the CLI with `argv` (the arguments after `portlease`) and resolves with the exit
 * code. Results go to `io.stdout`, diagnostics to `io.stderr`.
 *
 * @example
 * const code = await main(['reserve', 'web'], { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
 */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(await generalHelp());
    return EXIT.usage;
  }
  if (name === '--version' || name === '-v' || name === '-V') {
    io.stdout.write(`${readVersion()}\n`);
    return EXIT.ok;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest[0] : undefined;
    if (topic !== undefined && Object.hasOwn(commands, topic)) {
      io.stdout.write((await load(topic)).help);
    } else {
      io.stdout.write(await generalHelp());
    }
    return EXIT.ok;
  }
  if (!Object.hasOwn(commands, name)) {
    const what = name.startsWith('-') ? `Unknown option '${name}'` : `Unknown command '${name}'`;
    const guess = name.startsWith('-') ? undefined : closest(name, Object.keys(commands));
    // `portlease --json list`: the flag is fine, its place is not.
    const later = name.startsWith('-') ? rest.find((word) => Object.hasOwn(commands, word)) : undefined;
    const hint =
      guess !== undefined
        ? `Did you mean \`portlease ${guess}\`?`
        : later !== undefined
          ? `Options go after the command: \`portlease ${later} ${name} …\`.`
          : 'See the list below.';
    fail(io, argv, { code: 'E_USAGE', message: what }, hint);
    if (!wantsJson(argv)) io.stderr.write(`\n${await generalHelp()}`);
    return EXIT.usage;
  }

  const command = await load(name);
  if (wantsHelp(rest)) {
    io.stdout.write(command.help);
    return EXIT.ok;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    const report = errorReport(error);
    const code = exitCodeOf(report);
    if (code === EXIT.usage) {
      fail(io, argv, report, `See \`portlease ${name} --help\`.`);
      if (!wantsJson(argv)) io.stderr.write(`\n${usageOf(command)}`);
    } else {
      const hint =
        report.code === 'E_UNEXPECTED'
          ? 'This looks like a bug: rerun with PORTLEASE_DEBUG=1 and report the stack trace.'
          : undefined;
      fail(io, argv, report, hint);
    }
    if (io.env.PORTLEASE_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return code;
  }
}

/** Prints an error: a JSON document on stdout with `--json`, else one line on stderr. */
function fail(io: Io, argv: readonly string[], report: ErrorReport, hint?: string): void {
  if (wantsJson(argv)) io.stdout.write(formatJsonError(report));
  else io.stderr.write(formatErrorLine(report, styleFor(io.stderr, io.env), hint));
}

async function load(name: string): Promise<Command> {
  const loader = commands[name];
  if (loader === undefined) throw new TypeError(`No command ${name}`);
  return (await loader()).command;
}

/** The first paragraph of a command's help: its usage lines. */
function usageOf(command: Command): string {
  const [first = ''] = command.help.split(/\n\s*\n/);
  return `${first.trimEnd()}\n`;
}

/**
 * `portlease --help`. Loads every command for its summary line; a module that fails to load
 * is listed without one rather than breaking help.
 */
async function generalHelp(): Promise<string> {
  const names = Object.keys(commands);
  const loaded = await Promise.allSettled(names.map((name) => load(name)));
  const pad = Math.max(...names.map((name) => name.length)) + 2;
  const lines = names.map((name, index) => {
    const result = loaded[index];
    const summary = result?.status === 'fulfilled' ? result.value.summary : '';
    return `  ${name.padEnd(pad)}${summary}`.trimEnd();
  });
  return `portlease ${readVersion()}: ports that never collide, across every process of this machine

Usage: portlease <command> [options]

Commands:
${lines.join('\n')}

Options of every command:
  --json        print one JSON document on stdout (errors: {"error":{"code","message"}})
  --home DIR    registry directory (default: $PORTLEASE_HOME, else ~/.portlease)
  -h, --help    help for the command: portlease <command> --help

Other options:
  -v, --version  print the version

${EXIT_CODES_HELP}

Environment:
  PORTLEASE_HOME      registry directory
  PORTLEASE_APP       app name (default: the git repository's name, else the folder name)
  PORTLEASE_INSTANCE  instance name (default: the linked worktree's folder, else 'default')
  PORTLEASE_RANGE     port range to choose from, e.g. 20000-29999 (the default)
  NO_COLOR            no colours even on a terminal
  PORTLEASE_DEBUG     print stack traces of errors

Examples:
  PORT=$(npx portlease reserve web)               a sticky port for 'web', printed alone
  npx portlease run web -- next dev               PORT and WEB_PORT set, released on exit
  npx portlease env postgres redis --write .env   POSTGRES_PORT=… REDIS_PORT=… merged into .env
`;
}

/** The known name closest to a typo (edit distance ≤ 2, or a unique prefix). */
function closest(typed: string, names: readonly string[]): string | undefined {
  const prefixed = names.filter((name) => name.startsWith(typed));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of names) {
    const distance = editDistance(typed, name);
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
