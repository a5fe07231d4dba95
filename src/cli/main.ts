/**
 * The dispatcher: `main(argv, io)` picks the command, loads its module lazily, runs it and
 * turns every thrown error into one line (or one JSON document) and an exit code. It never
 * touches `process`; `bin.ts` does that.
 */
import type { Command, Io } from './command.js';
import { commands } from './commands/index.js';
import { UsageError, wantsHelp, wantsJson } from './args.js';
import { formatJson as formatJsonValue, styleFor } from './output.js';
import { errorReport, exitCodeOf, formatErrorLine, formatJsonError, type ErrorReport } from './failure.js';
import { closest } from './suggest.js';
import { readVersion } from './version.js';
import { SUMMARIES } from './summaries.js';

/** Exit codes, as documented in `portlease --help` and the README. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

const EXIT_CODES_HELP = `Exit codes:
  0    success (\`check\`: the port is free; \`doctor\`: no problem found)
  1    operational failure: port taken, no free port, nothing found (\`get\`),
       lock timeout, registry or file failure, a conflict (\`import\`), a problem found
       (\`doctor\`), the server not running (\`serve --status\`)
  2    usage error: unknown command or flag, bad value, missing argument
  run  the command's own code; 128+n when it died of signal n; 127 when it was not found;
       126 when it could not be run; 1 or 2 as above when it was never started`;

/**
 * Runs the CLI with `argv` (the arguments after `portlease`) and resolves with the exit
 * code. Results go to `io.stdout`, diagnostics to `io.stderr`.
 *
 * @example
 * const code = await main(['reserve', 'web'], { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
 */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  let split: { name: string | undefined; rest: string[] };
  try {
    split = splitGlobals(argv);
  } catch (error) {
    fail(io, argv, errorReport(error), 'See `portlease --help`.');
    return EXIT.usage;
  }
  const { name, rest } = split;
  if (name === undefined) {
    if (rest.length > 0) {
      fail(io, argv, { code: 'E_USAGE', message: `${rest.join(' ')} needs a command after it` }, 'See `portlease --help`.');
    } else {
      io.stderr.write(await generalHelp());
    }
    return EXIT.usage;
  }
  if (name === '--version' || name === '-v' || name === '-V') {
    io.stdout.write(wantsJson(rest) ? formatJsonValue({ version: readVersion() }) : `${readVersion()}\n`);
    return EXIT.ok;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    const topic = name === 'help' ? rest.find((word) => !word.startsWith('-')) : undefined;
    if (topic !== undefined && Object.hasOwn(commands, topic)) {
      io.stdout.write((await load(topic)).help);
    } else {
      io.stdout.write(await generalHelp());
    }
    return EXIT.ok;
  }
  if (!Object.hasOwn(commands, name)) {
    const option = name.startsWith('-');
    const guess = option ? closest(name.split('=')[0] ?? name, GLOBAL_FLAGS) : closest(name, Object.keys(commands));
    const what = option ? `Unknown option '${name}'` : `Unknown command '${name}'`;
    // `portlease --ttl 1h reserve web`: a command's own flag, given before it.
    const later = option ? rest.find((word) => Object.hasOwn(commands, word)) : undefined;
    const hint =
      guess !== undefined
        ? `Did you mean \`${option ? guess : `portlease ${guess}`}\`?`
        : later !== undefined
          ? `Options other than ${GLOBAL_FLAGS.join(', ')} go after the command: \`portlease ${later} ${name} …\`.`
          : 'See `portlease --help`.';
    fail(io, argv, { code: 'E_USAGE', message: what }, hint);
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
    const hint =
      code === EXIT.usage
        ? `See \`portlease ${name} --help\`.`
        : report.code === 'E_UNEXPECTED'
          ? 'This looks like a bug: rerun with PORTLEASE_DEBUG=1 and report the stack trace.'
          : undefined;
    fail(io, argv, report, hint);
    if (io.env.PORTLEASE_DEBUG && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
    return code;
  }
}

/** Flags that may come before the command (`portlease --home X --json list`). */
const GLOBAL_FLAGS = ['--json', '--home', '--help', '--version'];

/**
 * Moves the global flags given before the command to after it, where every command
 * parses them: `--json`, `--home DIR` / `--home=DIR`. Returns the command (the first other
 * word) and its arguments; throws a usage error for `--home` without a value.
 */
function splitGlobals(argv: readonly string[]): { name: string | undefined; rest: string[] } {
  const globals: string[] = [];
  let index = 0;
  for (; index < argv.length; index++) {
    const word = argv[index] as string;
    if (word === '--json' || word.startsWith('--home=')) {
      globals.push(word);
    } else if (word === '--home') {
      const value = argv[index + 1];
      if (value === undefined) throw new UsageError("Option '--home' needs a value");
      globals.push(word, value);
      index += 1;
    } else {
      break;
    }
  }
  return { name: argv[index], rest: [...globals, ...argv.slice(index + 1)] };
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

/** `portlease --help`: the summaries come from one small table, so no command module loads. */
async function generalHelp(): Promise<string> {
  const names = Object.keys(commands);
  const pad = Math.max(...names.map((name) => name.length)) + 2;
  const lines = names.map((name) => `  ${name.padEnd(pad)}${SUMMARIES[name as keyof typeof SUMMARIES] ?? ''}`.trimEnd());
  return `portlease ${readVersion()}: ports that never collide, across every process of this machine

Usage: portlease <command> [options]

Commands:
${lines.join('\n')}

Options of every command (--json and --home may also come before it):
  --json        print one JSON document on stdout (errors: {"error":{"code","message"}});
                \`run\` refuses it (its output is the command's)
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
