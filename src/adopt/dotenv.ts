/**
 * `.env` files: a parser (the subset docker compose and dotenv agree on) and the scanner
 * that finds `*_PORT=N` entries. Pure: text in, data out.
 */
import { type FoundPort, parsePortNumber, variableService } from './found.js';
import { interpolate } from './interpolate.js';

/** One `KEY=value` assignment of a `.env` file. */
export interface DotenvEntry {
  key: string;
  /** The value, unquoted, escapes and `${VAR}` references resolved. */
  value: string;
  /** 1-based line of the assignment. */
  line: number;
  /** The line as written (trimmed). */
  text: string;
}

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/;

/**
 * Parses `.env` text: `KEY=value`, `export KEY=value`, `#` comments, single quotes
 * (literal), double quotes (escapes, may span lines), unquoted values with ` # comment`,
 * and `${VAR}` references to earlier keys (as docker compose does). Lines that are not
 * assignments are ignored, like dotenv does.
 *
 * @example
 * parseDotenv('POSTGRES_PORT=5432 # db\n').map((e) => [e.key, e.value]); // [['POSTGRES_PORT', '5432']]
 */
export function parseDotenv(text: string): DotenvEntry[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const entries: DotenvEntry[] = [];
  const vars: Record<string, string> = {};
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const match = ASSIGNMENT.exec(line);
    if (match === null || line.trimStart().startsWith('#')) continue;
    const key = match[1] ?? '';
    let raw = match[2] ?? '';
    const first = index;
    let value: string;
    const quote = raw[0];
    if (quote === '"' || quote === "'") {
      // A quoted value ends at the next unescaped matching quote, possibly on a later line.
      let body = raw.slice(1);
      let end = closingQuote(body, quote);
      while (end === -1 && index + 1 < lines.length) {
        index++;
        body += `\n${lines[index] ?? ''}`;
        end = closingQuote(body, quote);
      }
      body = end === -1 ? body : body.slice(0, end);
      raw = `${quote}${body}${quote}`;
      value = quote === "'" ? body : interpolate(unescapeValue(body), vars).value;
    } else {
      raw = raw.replace(/(^|\s)#.*$/, '').trim();
      value = interpolate(raw, vars).value;
    }
    vars[key] = value;
    entries.push({ key, value, line: first + 1, text: `${key}=${raw}` });
  }
  return entries;
}

/**
 * Variables of a `.env` text as a plain object (later assignments win).
 *
 * @example
 * dotenvVariables('A=1\nA=2\n'); // { A: '2' }
 */
export function dotenvVariables(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const entry of parseDotenv(text)) vars[entry.key] = entry.value;
  return vars;
}

/**
 * Finds the `*_PORT=N` entries of a `.env` file. The service is the variable's stem
 * (`POSTGRES_PORT` → `postgres`). Entries that are not a port number, and a bare `PORT`
 * (which names no service), are reported with a `skip` reason rather than dropped, so the
 * user sees why.
 *
 * @example
 * scanDotenv('POSTGRES_PORT=5432\n', '.env'); // [{ service: 'postgres', port: 5432, … }]
 */
export function scanDotenv(text: string, file: string): FoundPort[] {
  const found: FoundPort[] = [];
  for (const entry of parseDotenv(text)) {
    if (!/(^|_)PORT$/i.test(entry.key)) continue;
    const source = { kind: 'env' as const, file, line: entry.line, origin: entry.key, text: entry.text };
    const service = variableService(entry.key);
    const port = parsePortNumber(entry.value);
    if (service === null) {
      found.push({
        service: entry.key.toLowerCase(),
        port: null,
        skip: `${entry.key} names no service: register it with \`portlease reserve <service> --port ${entry.value}\``,
        source,
      });
    } else if (port === null) {
      const why = entry.value === '' ? `${entry.key} is empty` : `${JSON.stringify(entry.value)} is not a port number`;
      found.push({ service, port: null, skip: why, variable: entry.key, source });
    } else {
      found.push({ service, port, variable: entry.key, source });
    }
  }
  return found;
}

function closingQuote(body: string, quote: string): number {
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && quote === '"') i++;
    else if (body[i] === quote) return i;
  }
  return -1;
}

function unescapeValue(body: string): string {
  return body.replace(/\\([nrt"\\$])/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c === '$' ? '$$' : c));
}
