/**
 * The error of a project file that cannot be parsed. A `SyntaxError` (the standard class
 * for malformed text) whose message starts with `file:line:column`, so that editors and
 * terminals can jump there; `file`, `line` and `column` are also properties.
 */

/** A scanned file (compose YAML, package.json) that cannot be parsed, with the place of the first problem. */
export interface AdoptSyntaxError extends SyntaxError {
  file: string;
  line: number | null;
  column: number | null;
}

/**
 * Makes the error thrown for a file that cannot be parsed.
 *
 * @example
 * throw syntaxError('compose.yaml', 7, 5, 'bad indentation');
 */
export function syntaxError(file: string, line: number | null, column: number | null, message: string, cause?: unknown): AdoptSyntaxError {
  const where = line === null ? file : column === null ? `${file}:${line}` : `${file}:${line}:${column}`;
  const error = new SyntaxError(`${where}: ${message}`, cause === undefined ? undefined : { cause }) as AdoptSyntaxError;
  error.file = file;
  error.line = line;
  error.column = column;
  return error;
}
