/**
 * `portlease import [PATH…]`: register the host ports a project hard-codes (compose files,
 * `.env*`, package.json scripts) as durable leases of its app.
 */
import { resolve } from 'node:path';
import { importPorts, type ImportResult } from '../../adopt/import.js';
import type { ImportRow } from '../../adopt/plan.js';
import { where } from '../../adopt/plan.js';
import type { Command } from '../command.js';
import { namesOf, parseFlags } from '../args.js';
import { formatJson, formatTable, styleFor, type Style } from '../output.js';
import { formatErrorLine, formatJsonError } from '../failure.js';
import { openRegistry } from '../../api.js';
import { checkHome } from '../targets.js';
import { SUMMARIES } from '../summaries.js';

const FLAGS = {
  'dry-run': { type: 'boolean', short: 'n' },
  app: { type: 'string' },
  instance: { type: 'string' },
} as const;

/** `portlease import`. */
export const command: Command = {
  name: 'import',
  summary: SUMMARIES.import,
  help: `Usage: portlease import [PATH…] [--dry-run] [--app A] [--instance I] [--json] [--home DIR]

Finds the host ports that a project fixes and registers each as a durable lease of its app,
so that no other project, worktree or test run is handed them. PATHs are project folders or
single files (default: the current folder). Scanned files are never modified.

  compose.yaml, docker-compose*.yml and their overrides: host-bound ports ("8080:80",
    "127.0.0.1:8080:80", "[::1]:8080:80", "8000-8002:8000-8002", long syntax with
    published:), \${VAR} and \${VAR:-default} resolved from the shell and the project's .env.
    A bare container port ("80") is skipped: docker picks its host port.
  .env, .env.*: NAME_PORT=N entries (POSTGRES_PORT=5432 -> service postgres).
  package.json scripts: --port N, --port=N, -p N, PORT=N (service = the script name).

A port bound right now is claimed (the service itself runs); a port held by another
lease is a conflict, naming the holder; a service already imported on that port is left as
it is, so importing twice changes nothing.

Options:
  -n, --dry-run   print the table, register nothing
  --app A         app (default: $PORTLEASE_APP, the git repository's name, the folder)
  --instance I    instance (default: $PORTLEASE_INSTANCE, the worktree's folder, 'default')
  --json          print {app, instance, dryRun, files, rows}
  --home DIR      registry directory (default: $PORTLEASE_HOME, else ~/.portlease)

Examples:
  npx portlease import --dry-run
  npx portlease import ./services/api docker-compose.dev.yml
  npx portlease env postgres redis --write .env    # the other way: ports from portlease

Exit codes: 0 ok, 1 conflicts (or a malformed file, or a registry failure), 2 usage.
`,
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, FLAGS, { maxPositionals: Number.POSITIVE_INFINITY });
    const registry = openRegistry({ home: flags.home, env: io.env, cwd: io.cwd });
    if (flags['dry-run'] !== true) await checkHome(registry);
    let result: ImportResult;
    try {
      result = await importPorts(registry, {
        ...namesOf(flags),
        paths: positionals,
        dryRun: flags['dry-run'] === true,
      });
    } catch (error) {
      // A malformed compose file or package.json: name the file and line, exit 1.
      if (!(error instanceof SyntaxError)) throw error;
      const report = { code: 'E_PARSE', message: error.message };
      if (flags.json === true) io.stdout.write(formatJsonError(report));
      else io.stderr.write(formatErrorLine(report, styleFor(io.stderr, io.env), 'Fix the file and import again; nothing was registered.'));
      return 1;
    }
    const conflicts = result.rows.filter((row) => row.action === 'conflict').length;
    if (flags.json === true) {
      io.stdout.write(formatJson(result));
      return conflicts > 0 ? 1 : 0;
    }
    if (result.rows.length === 0) {
      const where = positionals.length === 0 ? resolve(io.cwd) : positionals.join(', ');
      io.stderr.write(
        result.files.length === 0
          ? `No compose file, .env file or package.json in ${where}: nothing to import.\n`
          : `No fixed ports in ${result.files.join(', ')}: nothing to import.\n`,
      );
      return 0;
    }
    const style = styleFor(io.stdout, io.env);
    io.stdout.write(formatImportTable(result.rows, style));
    io.stdout.write(`${summary(result, style)}\n`);
    return conflicts > 0 ? 1 : 0;
  },
};

/**
 * The import table: SERVICE, PORT, ACTION, FOUND IN, NOTE.
 *
 * @example
 * formatImportTable(result.rows); // 'SERVICE   PORT  ACTION    FOUND IN …'
 */
export function formatImportTable(rows: readonly ImportRow[], style?: Style): string {
  const colour = (action: string): string => {
    if (style === undefined) return action;
    if (action === 'conflict') return style.red(action);
    if (action === 'claim') return style.yellow(action);
    if (action === 'register') return style.green(action);
    return action === 'skip' ? style.dim(action) : action;
  };
  return formatTable(
    ['SERVICE', 'PORT', 'ACTION', 'FOUND IN', 'NOTE'],
    rows.map((row) => [
      row.service,
      row.port === null ? '-' : String(row.port),
      colour(row.action),
      row.sources.map((source) => `${where(source)} ${clip(source.text)}`).join(', '),
      row.reason ?? '',
    ]),
    style,
  );
}

/** Long-syntax entries are JSON: keep the column readable. */
function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

function summary(result: ImportResult, style: Style): string {
  const count = (action: ImportRow['action']) => result.rows.filter((row) => row.action === action).length;
  const parts: string[] = [];
  const add = (n: number, text: string) => {
    if (n > 0) parts.push(`${n} ${text}`);
  };
  const scope = `${result.app}/${result.instance}`;
  if (result.dryRun) {
    add(count('register'), 'to register');
    add(count('claim'), 'to claim');
  } else {
    add(count('register'), 'registered');
    add(count('claim'), 'claimed');
  }
  add(count('exists'), 'already registered');
  add(count('conflict'), count('conflict') === 1 ? 'conflict' : 'conflicts');
  add(count('skip'), 'skipped');
  const text = `${scope}: ${parts.join(', ')}${result.dryRun ? ' (dry run: nothing registered)' : ''}`;
  return count('conflict') > 0 ? style.red(text) : text;
}
