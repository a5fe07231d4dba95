/**
 * `portlease env <service…>`: sticky, durable leases printed as `<SERVICE>_PORT=…` lines, or
 * merged into a `.env` file (for docker compose and dotenv loaders) atomically, keeping
 * every other line and comment.
 */
import type { ReserveOptions } from '../../index.js';
import type { Command } from '../command.js';
import { namesOf, parseFlags, UsageError } from '../args.js';
import { formatEnv, mergeDotenv, type EnvFormat } from '../dotenv.js';
import { formatJson, portVariable } from '../output.js';
import { openRegistry } from '../../api.js';
import { checkHome, checkWriteTarget, readTargetText, writeTarget } from '../targets.js';
import { SUMMARIES } from '../summaries.js';

const FLAGS = {
  write: { type: 'string', short: 'w' },
  format: { type: 'string' },
  range: { type: 'string' },
  app: { type: 'string' },
  instance: { type: 'string' },
} as const;

const FORMATS: readonly EnvFormat[] = ['dotenv', 'shell', 'json'];

/** `portlease env`. */
export const command: Command = {
  name: 'env',
  summary: SUMMARIES.env,
  help: `Usage: portlease env <service…> [--write FILE] [--format dotenv|shell|json]
                     [--range A-B] [--app A] [--instance I] [--json] [--home DIR]

Reserves a durable, sticky port for each service (the same one as last time while it lives)
and prints <SERVICE>_PORT=<port> lines: upper case, accents dropped, each run of other
characters one _ (api-gw → API_GW_PORT, café → CAFE_PORT). With --write, merges them into FILE instead: existing assignments are updated
in place, missing ones appended, every other line and comment kept; the file is replaced
atomically. Release them with \`portlease release <service>\`.

Options:
  -w, --write FILE   merge into FILE (created when missing) instead of printing
  --format F         dotenv (NAME=port, the default), shell (export NAME=port), json
  --range A-B        choose from this range (default: $PORTLEASE_RANGE, else 20000-29999)
  --app A            app (default: $PORTLEASE_APP, the git repository's name, the folder)
  --instance I       instance (default: $PORTLEASE_INSTANCE, the worktree's folder, 'default')
  --json             same as --format json: {"POSTGRES_PORT": 20001, …}; with --write,
                     print {"file", "changed", "vars"} (the file stays dotenv or shell)
  --home DIR         registry directory (default: $PORTLEASE_HOME, else ~/.portlease)

Examples:
  npx portlease env postgres redis --write .env && docker compose up -d
  eval "$(npx portlease env web api --format shell)"

Exit codes: 0 ok, 1 no free port / registry or file failure, 2 usage.
`,
  async run(argv, io) {
    const { flags, positionals: services } = parseFlags(argv, FLAGS, { maxPositionals: Number.POSITIVE_INFINITY });
    if (services.length === 0) throw new UsageError('env needs at least one service name');
    let format: EnvFormat = 'dotenv';
    if (flags.format !== undefined) {
      if (!FORMATS.includes(flags.format as EnvFormat)) {
        throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got '${flags.format}'`);
      }
      format = flags.format as EnvFormat;
    }
    if (flags.write !== undefined && format === 'json') throw new UsageError('--write writes dotenv or shell lines, not json');
    if (flags.json === true && flags.write === undefined) {
      if (flags.format !== undefined && format !== 'json') throw new UsageError(`--json conflicts with --format ${format}`);
      format = 'json';
    }
    const variables = services.map(portVariable);
    const clash = variables.find((name, index) => variables.indexOf(name) !== index);
    if (clash !== undefined) throw new UsageError(`Two services map to the same variable ${clash}`);

    // The target is checked (and read) before any lease is made: a bad path must not
    // leave durable leases behind with nowhere written.
    const file = flags.write === undefined ? undefined : await checkWriteTarget('--write', flags.write, io.cwd);
    const before = file === undefined ? '' : ((await readTargetText('--write', file)) ?? '');

    const options: ReserveOptions = { ...namesOf(flags), durable: true };
    if (flags.range !== undefined) options.range = flags.range;
    const registry = await checkHome(openRegistry({ home: flags.home, env: io.env, cwd: io.cwd }));
    const vars: Record<string, number> = {};
    // One transaction for all the services: all or nothing.
    const leases = await registry.reserveAll(services, options);
    for (const [index, lease] of leases.entries()) vars[variables[index] as string] = lease.port;

    if (file === undefined) {
      io.stdout.write(formatEnv(vars, format));
      return 0;
    }
    const after = mergeDotenv(before, vars, { exported: format === 'shell' });
    if (after !== before) await writeTarget('--write', file, after);
    // With --json, what was written is reported as a document; the file stays dotenv/shell.
    if (flags.json === true) {
      io.stdout.write(formatJson({ file, changed: after !== before, vars }));
      return 0;
    }
    io.stderr.write(
      `${after === before ? 'Unchanged' : 'Wrote'} ${file}: ${Object.entries(vars)
        .map(([name, port]) => `${name}=${port}`)
        .join(' ')}\n`,
    );
    return 0;
  },
};
