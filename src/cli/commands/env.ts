/**
 * `portlease env <service…>`: sticky, durable leases printed as `<SERVICE>_PORT=…` lines, or
 * merged into a `.env` file (for docker compose and dotenv loaders) atomically, keeping
 * every other line and comment.
 */
import { resolve } from 'node:path';
import type { ReserveOptions } from '../../index.js';
import type { Command } from '../command.js';
import { parseFlags, UsageError } from '../args.js';
import { formatEnv, mergeDotenv, type EnvFormat } from '../dotenv.js';
import { checkWritable, readTextIfExists, writeFileAtomic } from '../files.js';
import { storageError } from '../../errors.js';
import { portVariable } from '../output.js';
import { registryFor, resolvedScope } from '../scope.js';

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
  summary: 'Print <SERVICE>_PORT=… lines for services, or merge them into a .env file',
  help: `Usage: portlease env <service…> [--write FILE] [--format dotenv|shell|json]
                     [--range A-B] [--app A] [--instance I] [--json] [--home DIR]

Reserves a durable, sticky port for each service (the same one as last time while it lives)
and prints <SERVICE>_PORT=<port> lines: upper case, other characters as _ (api-gw →
API_GW_PORT). With --write, merges them into FILE instead: existing assignments are updated
in place, missing ones appended, every other line and comment kept; the file is replaced
atomically. Release them with \`portlease release <service>\`.

Options:
  -w, --write FILE   merge into FILE (created when missing) instead of printing
  --format F         dotenv (NAME=port, the default), shell (export NAME=port), json
  --range A-B        choose from this range (default: $PORTLEASE_RANGE, else 20000-29999)
  --app A            app (default: $PORTLEASE_APP, the git repository's name, the folder)
  --instance I       instance (default: $PORTLEASE_INSTANCE, the worktree's folder, 'default')
  --json             same as --format json: {"POSTGRES_PORT": 20001, …}
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
    if (flags.json === true) {
      if (flags.format !== undefined && format !== 'json') throw new UsageError('--json conflicts with --format ' + format);
      format = 'json';
    }
    if (flags.write !== undefined && format === 'json') throw new UsageError('--write writes dotenv or shell lines, not json');
    const variables = services.map(portVariable);
    const clash = variables.find((name, index) => variables.indexOf(name) !== index);
    if (clash !== undefined) throw new UsageError(`Two services map to the same variable ${clash}`);

    // A file that cannot be written fails before any lease is made.
    const file = flags.write === undefined ? undefined : resolve(io.cwd, flags.write);
    if (file !== undefined) await checkWritable(file);

    const options: ReserveOptions = { ...resolvedScope(flags, io), durable: true };
    if (flags.range !== undefined) options.range = flags.range;
    const registry = registryFor(flags, io);
    const vars: Record<string, number> = {};
    for (const [index, service] of services.entries()) {
      const lease = await registry.reserve(service, options);
      vars[variables[index] as string] = lease.port;
    }

    if (file === undefined) {
      io.stdout.write(formatEnv(vars, format));
      return 0;
    }
    const before = (await readTextIfExists(file).catch((error: unknown) => Promise.reject(storageError(error, file, 'read')))) ?? '';
    const after = mergeDotenv(before, vars, { exported: format === 'shell' });
    if (after !== before) {
      await writeFileAtomic(file, after).catch((error: unknown) => Promise.reject(storageError(error, file, 'write')));
    }
    io.stderr.write(`${after === before ? 'Unchanged' : 'Wrote'} ${file}: ${Object.entries(vars).map(([name, port]) => `${name}=${port}`).join(' ')}\n`);
    return 0;
  },
};
