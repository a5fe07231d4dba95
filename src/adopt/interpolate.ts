/**
 * Docker compose variable interpolation (`$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR:+alt}`, `$$`), done the way `docker compose` does it so that the
 * port we register is the port docker will publish. Pure: the variables are passed in.
 */

/** Where one variable's value landed in the interpolated string. */
export interface VariableSpan {
  /** Offset of the first character produced by the reference. */
  start: number;
  /** Offset after the last character produced by the reference. */
  end: number;
  /** The variable's name. */
  name: string;
}

/** Result of {@link interpolate}. */
export interface Interpolated {
  /** The string with every reference replaced. */
  value: string;
  /**
   * Top-level references and where their values landed, so that a caller can tell that the
   * host port of `"${POSTGRES_PORT:-5432}:5432"` came from `POSTGRES_PORT`.
   */
  spans: VariableSpan[];
  /** Variables that were referenced without a default and are not set (replaced by ''). */
  missing: string[];
  /** Messages of `${VAR:?message}` references whose variable is unset (or empty with `:?`). */
  errors: string[];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/**
 * Interpolates compose variables in `text` with `vars`.
 *
 * @example
 * interpolate('${POSTGRES_PORT:-5432}:5432', { POSTGRES_PORT: '5433' }).value; // '5433:5432'
 */
export function interpolate(text: string, vars: Readonly<Record<string, string | undefined>>): Interpolated {
  const result: Interpolated = { value: '', spans: [], missing: [], errors: [] };
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch !== '$') {
      result.value += ch;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === '$') {
      // `$$` is a literal dollar sign in compose files.
      result.value += '$';
      i += 2;
      continue;
    }
    if (next === '{') {
      const close = matchingBrace(text, i + 1);
      if (close === -1) {
        // Unterminated: compose rejects the file; we keep the text so the port fails to parse.
        result.value += text.slice(i);
        break;
      }
      const start = result.value.length;
      const { name, value } = expand(text.slice(i + 2, close), vars, result);
      result.value += value;
      if (name !== null) result.spans.push({ start, end: result.value.length, name });
      i = close + 1;
      continue;
    }
    const name = NAME.exec(text.slice(i + 1))?.[0];
    if (name === undefined) {
      result.value += '$';
      i++;
      continue;
    }
    const start = result.value.length;
    const value = vars[name];
    if (value === undefined) result.missing.push(name);
    result.value += value ?? '';
    result.spans.push({ start, end: result.value.length, name });
    i += 1 + name.length;
  }
  return result;
}

/** Index of the `}` that closes the `{` at `open`, honouring nested `${…}`. */
function matchingBrace(text: string, open: number): number {
  let depth = 0;
  for (let j = open; j < text.length; j++) {
    if (text[j] === '{') depth++;
    else if (text[j] === '}' && --depth === 0) return j;
  }
  return -1;
}

/** Expands the inside of one `${…}`; nested references in defaults are interpolated too. */
function expand(inner: string, vars: Readonly<Record<string, string | undefined>>, into: Interpolated): { name: string | null; value: string } {
  const name = NAME.exec(inner)?.[0];
  if (name === undefined) return { name: null, value: '' };
  const rest = inner.slice(name.length);
  const value = vars[name];
  const set = value !== undefined;
  const nonEmpty = set && value !== '';
  const operator = /^(:-|-|:\?|\?|:\+|\+)/.exec(rest)?.[0];
  if (operator === undefined) {
    if (!set) into.missing.push(name);
    return { name, value: value ?? '' };
  }
  const argument = (): string => {
    const nested = interpolate(rest.slice(operator.length), vars);
    into.missing.push(...nested.missing);
    into.errors.push(...nested.errors);
    return nested.value;
  };
  switch (operator) {
    case ':-':
      return { name, value: nonEmpty ? value : argument() };
    case '-':
      return { name, value: set ? value : argument() };
    case ':?':
    case '?':
      if (operator === ':?' ? !nonEmpty : !set) {
        into.errors.push(`${name}: ${argument() || 'required variable is not set'}`);
        return { name, value: '' };
      }
      return { name, value: value ?? '' };
    case ':+':
      return { name, value: nonEmpty ? argument() : '' };
    default:
      return { name, value: set ? argument() : '' };
  }
}
