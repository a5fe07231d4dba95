/**
 * Pure merging of variables into the text of a `.env` file: existing assignments of those
 * variables are replaced where they stand, new ones appended, every other line (comments,
 * blank lines, other variables, odd syntax) kept byte for byte.
 */

/** Output formats of `portlease env`. */
export type EnvFormat = 'dotenv' | 'shell' | 'json';

/**
 * Lines for `vars` in the given format.
 *
 * @example
 * formatEnv({ POSTGRES_PORT: 20001 }, 'shell'); // 'export POSTGRES_PORT=20001\n'
 */
export function formatEnv(vars: Readonly<Record<string, number>>, format: EnvFormat): string {
  if (format === 'json') return `${JSON.stringify(vars, null, 2)}\n`;
  const prefix = format === 'shell' ? 'export ' : '';
  return Object.entries(vars)
    .map(([name, value]) => `${prefix}${name}=${value}\n`)
    .join('');
}

/**
 * Merges `vars` into dotenv `text`. A line `NAME=…` or `export NAME=…` (leading spaces
 * allowed) is replaced, keeping its `export ` prefix; later duplicates of the same name are
 * dropped so that the file has one answer. Missing names are appended at the end.
 * Line endings (`\n` or `\r\n`) follow the file's. With `exported`, appended lines start
 * with `export ` (for files that are `source`d by a shell).
 *
 * @example
 * mergeDotenv('# db\nPOSTGRES_PORT=1\nDEBUG=1\n', { POSTGRES_PORT: 20001 });
 * // '# db\nPOSTGRES_PORT=20001\nDEBUG=1\n'
 */
export function mergeDotenv(text: string, vars: Readonly<Record<string, number | string>>, options: { exported?: boolean } = {}): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text === '' ? [] : text.split(/\r?\n/);
  // A trailing newline makes a last empty element; it is re-added on output.
  const endedWithNewline = lines.length > 0 && lines[lines.length - 1] === '';
  if (endedWithNewline) lines.pop();

  const done = new Set<string>();
  const out: string[] = [];
  for (const line of lines) {
    const match = /^(\s*)(export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
    const name = match?.[3];
    if (match === null || name === undefined || !Object.hasOwn(vars, name)) {
      out.push(line);
      continue;
    }
    if (done.has(name)) continue;
    done.add(name);
    out.push(`${match[1] ?? ''}${match[2] ?? ''}${name}=${vars[name]}`);
  }
  for (const [name, value] of Object.entries(vars)) {
    if (!done.has(name)) out.push(`${options.exported === true ? 'export ' : ''}${name}=${value}`);
  }
  return out.length === 0 ? '' : out.join(eol) + eol;
}
