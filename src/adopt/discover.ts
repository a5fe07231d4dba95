/**
 * Which files of a project the importer reads: its compose files, `.env` files and
 * package.json. Names are classified purely; `discoverProject` reads one directory.
 */
import { typeError } from '../errors.js';
import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** The kind of a file the importer understands. */
export type FileKind = 'compose' | 'env' | 'package';

/** The files of one project to scan, as absolute paths. */
export interface ProjectFiles {
  /** The project directory (its `.env` feeds compose interpolation). */
  root: string;
  /** Compose files in the order `docker compose` would merge them. */
  compose: string[];
  /** `.env.development.local`, `.env.local`, `.env.development`, `.env`, other modes, examples last. */
  env: string[];
  /** `package.json`s. */
  packages: string[];
}

const COMPOSE = /^(?:docker-)?compose(?:\.[\w.-]+)?\.ya?ml$/i;
const ENV = /^\.env(?:\.[\w.-]+)?$/;
const ENV_NOT_DOTENV = /\.(?:swp|bak|orig|gpg|enc|age|vault)$|~$/;

/**
 * What kind of file a name is: a compose file (`compose.yaml`, `docker-compose.dev.yml`,
 * `compose.override.yaml`), a dotenv file (`.env`, `.env.local`) or a `package.json`.
 *
 * @example
 * classifyFile('docker-compose.override.yml'); // 'compose'
 */
export function classifyFile(name: string): FileKind | null {
  if (name === 'package.json') return 'package';
  if (ENV.test(name) && !ENV_NOT_DOTENV.test(name)) return 'env';
  if (COMPOSE.test(name)) return 'compose';
  return null;
}

/** Sort rank of a compose file: base files, then overrides, then the rest. */
function composeRank(name: string): number {
  const base = ['compose.yaml', 'compose.yml', 'docker-compose.yaml', 'docker-compose.yml'].indexOf(name.toLowerCase());
  if (base !== -1) return base;
  return /\.override\.ya?ml$/i.test(name) ? 10 : 20;
}

/**
 * Sort rank of a dotenv file: by the precedence a dev server gives them (Next.js, Vite:
 * `.env.development.local` over `.env.local` over `.env.development` over `.env`), since the
 * first value found for a service is the one registered; other modes next, examples last.
 */
function envRank(name: string): number {
  const known = ['.env.development.local', '.env.local', '.env.development', '.env'].indexOf(name);
  if (known !== -1) return known;
  return /\.(?:example|sample|template|dist|defaults?)$/.test(name) ? 20 : 10;
}

/**
 * Sorts file names of one kind into scan order.
 *
 * @example
 * orderFiles(['docker-compose.override.yml', 'docker-compose.yml'], 'compose');
 * // ['docker-compose.yml', 'docker-compose.override.yml']
 */
export function orderFiles(names: readonly string[], kind: FileKind): string[] {
  const rank = kind === 'compose' ? composeRank : kind === 'env' ? envRank : () => 0;
  return [...names].sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Finds the files to scan at `path`: every compose, dotenv and package.json file directly
 * in a directory, or the one file named. Throws a `TypeError` when the path does not
 * exist or is a file of no known kind; `shown` is how messages name the path.
 *
 * @example
 * const files = await discoverProject(process.cwd());
 */
export async function discoverProject(path: string, shown: string = path): Promise<ProjectFiles> {
  const absolute = resolve(path);
  let info: Stats;
  try {
    info = await stat(absolute);
  } catch (error) {
    throw typeError(`Cannot import ${shown}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : String(error)}`, {
      cause: error,
    });
  }
  if (!info.isDirectory()) {
    const kind = classifyFile(basename(absolute));
    if (kind === null) {
      throw typeError(`Cannot import ${shown}: not a compose file (compose.yaml, docker-compose*.yml), .env file or package.json`);
    }
    const files: ProjectFiles = { root: dirname(absolute), compose: [], env: [], packages: [] };
    (kind === 'compose' ? files.compose : kind === 'env' ? files.env : files.packages).push(absolute);
    return files;
  }
  const entries = await readdir(absolute, { withFileTypes: true });
  const names = entries.filter((entry) => entry.isFile() || entry.isSymbolicLink()).map((entry) => entry.name);
  const of = (kind: FileKind) =>
    orderFiles(
      names.filter((name) => classifyFile(name) === kind),
      kind,
    ).map((name) => join(absolute, name));
  return { root: absolute, compose: of('compose'), env: of('env'), packages: of('package') };
}
