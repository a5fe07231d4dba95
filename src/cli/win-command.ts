/**
 * How `run` starts a command on Windows (pure). Windows has no `#!`: `npx`, `next`, `vite`
 * are `npx.cmd`, `node_modules\.bin\next.cmd`, … found through PATH and PATHEXT, which
 * `spawn` does not search; and a `.cmd` runs only inside `cmd.exe` (Node refuses to spawn
 * one directly since the CVE-2024-27980 fix), whose quoting rules differ from everyone
 * else's. Elsewhere the command is spawned as given.
 */
import { isAbsolute, win32 } from 'node:path';

/** What {@link resolveCommand} may look at. */
export interface CommandLookup {
  /** `process.platform`. */
  os: string;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Whether a file exists (tests pass a fake file system). */
  exists(path: string): boolean;
}

/** A command ready for `spawn(file, args, { windowsVerbatimArguments: verbatim })`. */
export interface SpawnCommand {
  file: string;
  args: string[];
  /** True when `args` are already quoted for `cmd.exe`. */
  verbatim: boolean;
}

const DEFAULT_PATHEXT = '.COM;.EXE;.BAT;.CMD';
// cmd.exe's metacharacters, escaped with ^ (the set cross-spawn escapes).
const META = /([()\][%!^"`<>&|;, *?])/g;

/** An environment variable by name, case-insensitively as Windows reads them (`Path`, `PATH`). */
function envGet(env: Record<string, string | undefined>, name: string): string | undefined {
  const key = Object.keys(env).find((candidate) => candidate.toUpperCase() === name);
  return key === undefined ? undefined : env[key];
}

/**
 * Finds `file` as Windows would: in the working folder, then each PATH folder, trying each
 * PATHEXT extension unless the name already has one of them; `undefined` when not found.
 *
 * @example
 * findExecutable('npx', lookup); // 'C:\\Program Files\\nodejs\\npx.cmd'
 */
export function findExecutable(file: string, lookup: CommandLookup): string | undefined {
  const exts = (envGet(lookup.env, 'PATHEXT') ?? DEFAULT_PATHEXT)
    .split(';')
    .filter(Boolean)
    .map((ext) => ext.toLowerCase());
  const names = exts.includes(win32.extname(file).toLowerCase()) ? [file] : exts.map((ext) => `${file}${ext}`);
  const absolute = win32.isAbsolute(file) || isAbsolute(file);
  // A name with a folder in it is not searched for on PATH, as in cmd.exe.
  const dirs = absolute ? [null] : /[\\/]/.test(file) ? [lookup.cwd] : [lookup.cwd, ...(envGet(lookup.env, 'PATH') ?? '').split(';').filter(Boolean)];
  for (const dir of dirs) {
    for (const name of names) {
      const path = dir === null ? name : win32.join(dir.replace(/^"|"$/g, ''), name);
      if (lookup.exists(path)) return path;
    }
  }
  return undefined;
}

/** Quotes one argument for a `cmd.exe /d /s /c "…"` line. */
export function quoteForCmd(arg: string, doubleEscape: boolean): string {
  // Backslashes before a quote or the end are doubled, quotes escaped (CommandLineToArgvW's rules)…
  let quoted = `"${arg.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\*)$/, '$1$1')}"`;
  // …then every metacharacter escaped for cmd.exe; twice through a node_modules/.bin shim,
  // which passes its arguments through cmd.exe once more (%*).
  quoted = quoted.replace(META, '^$1');
  return doubleEscape ? quoted.replace(META, '^$1') : quoted;
}

/**
 * The command to spawn for `file args…` on `lookup.os`.
 *
 * @example
 * resolveCommand('npx', ['vite'], lookup); // { file: 'C:\\Windows\\system32\\cmd.exe', args: ['/d', '/s', '/c', '"…npx.cmd ^"vite^""'], verbatim: true }
 */
export function resolveCommand(file: string, args: readonly string[], lookup: CommandLookup): SpawnCommand {
  if (lookup.os !== 'win32') return { file, args: [...args], verbatim: false };
  const found = findExecutable(file, lookup);
  if (found === undefined) return { file, args: [...args], verbatim: false }; // spawn reports ENOENT: exit 127
  if (!/\.(cmd|bat)$/i.test(found)) return { file: found, args: [...args], verbatim: false };
  const shim = /node_modules[\\/]\.bin[\\/][^\\/]+\.cmd$/i.test(found);
  const line = [found.replace(META, '^$1'), ...args.map((arg) => quoteForCmd(arg, shim))].join(' ');
  return { file: envGet(lookup.env, 'COMSPEC') ?? 'cmd.exe', args: ['/d', '/s', '/c', `"${line}"`], verbatim: true };
}
