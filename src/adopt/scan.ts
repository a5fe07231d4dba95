/**
 * Reads a project's files and runs the scanners over them: compose files (interpolated with
 * the shell and the project's `.env`), `.env*` files and package.json scripts. Reads only;
 * never writes what it scans.
 */
import { readFile } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import { composeFound, scanComposeFile, type ComposeScan } from './compose.js';
import { discoverProject, type ProjectFiles } from './discover.js';
import { dotenvVariables, scanDotenv } from './dotenv.js';
import type { FoundPort } from './found.js';
import { scanScripts } from './scripts.js';

/** Options of {@link scanProjects}. */
export interface ScanOptions {
  /** Project folders or single files, relative to `cwd`. @default ['.'] */
  paths?: readonly string[];
  /** @default process.cwd() */
  cwd?: string;
  /** Shell variables for compose interpolation (they win over `.env`). @default process.env */
  env?: Readonly<Record<string, string | undefined>>;
}

/** What {@link scanProjects} found. */
export interface ScanResult {
  /** Every finding, compose first, then `.env*`, then scripts (the order that names ports). */
  found: FoundPort[];
  /** The files read, relative to `cwd` (as the findings name them). */
  files: string[];
  /** The project folders, absolute. */
  roots: string[];
}

/**
 * Scans projects for fixed ports. Throws a `SyntaxError` naming file and line for a
 * malformed compose file or package.json, and a `TypeError` for a path that does not exist.
 *
 * @example
 * const { found } = await scanProjects({ cwd: '/work/shop', env: {} });
 */
export async function scanProjects(options: ScanOptions = {}): Promise<ScanResult> {
  const cwd = resolve(options.cwd ?? process.cwd());
  const paths = options.paths === undefined || options.paths.length === 0 ? ['.'] : options.paths;
  const shell = definedOnly(options.env ?? process.env);
  const projects: ProjectFiles[] = [];
  for (const path of paths) projects.push(await discoverProject(resolve(cwd, path), path));
  const show = (file: string): string => relative(cwd, file) || basename(file);

  const found: FoundPort[] = [];
  const files: string[] = [];
  // Compose before .env before scripts: the first finding of a port names it.
  for (const project of projects) {
    const vars = { ...(await readDotenvVars(join(project.root, '.env'))), ...shell };
    const scans: ComposeScan[] = [];
    for (const file of project.compose) {
      files.push(show(file));
      scans.push(scanComposeFile(await readFile(file, 'utf8'), show(file), vars));
    }
    found.push(...composeFound(scans));
  }
  for (const project of projects) {
    for (const file of project.env) {
      files.push(show(file));
      found.push(...scanDotenv(await readFile(file, 'utf8'), show(file)));
    }
  }
  for (const project of projects) {
    for (const file of project.packages) {
      files.push(show(file));
      found.push(...scanScripts(await readFile(file, 'utf8'), show(file)));
    }
  }
  return { found, files, roots: projects.map((project) => project.root) };
}

async function readDotenvVars(file: string): Promise<Record<string, string>> {
  try {
    return dotenvVariables(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}

/**
 * The variables that are set (an env object may hold `undefined` values).
 *
 * @example
 * definedOnly({ A: '1', B: undefined }); // { A: '1' }
 */
export function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
