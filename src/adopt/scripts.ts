/**
 * package.json scripts: finds fixed ports passed as `--port N`, `--port=N`, `-p N` or
 * `PORT=N` (also `API_PORT=N`, `cross-env PORT=N`). Shell commands are not YAML: a
 * tokenising regex is the right tool here. Pure: text in, data out.
 */
import { type FoundPort, serviceName } from './found.js';
import { syntaxError } from './syntax-error.js';

// A port value ends at whitespace, a quote, `;`, `&`, `|` or `)`; `-p 8080:80` (docker's
// host:container) and `-p tsconfig.json` are not ports of this script.
const END = String.raw`(?=$|[\s;&|)"'\\])`;
const PATTERNS: readonly RegExp[] = [
  new RegExp(String.raw`(?<![\w-])(--port)(?:=|\s+)(["']?)(\d+)\2${END}`, 'g'),
  new RegExp(String.raw`(?<![\w-])(-p)(?:=|\s+)(["']?)(\d+)\2${END}`, 'g'),
  new RegExp(String.raw`(?<![\w$])((?:[A-Z][A-Z0-9_]*_)?PORT)=(["']?)(\d+)\2${END}`, 'g'),
];

/**
 * Finds the fixed ports in the `scripts` of a package.json. The service is the script's
 * name (`dev:api` → `dev-api`); a second port in the same script gets `-2`, and so on.
 * Throws a `SyntaxError` naming the file and line when the JSON is malformed.
 *
 * @example
 * scanScripts('{"scripts":{"dev":"next dev -p 3001"}}', 'package.json');
 * // [{ service: 'dev', port: 3001, … }]
 */
export function scanScripts(text: string, file: string): FoundPort[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const message = String((error as Error).message);
    const lineCol = /line (\d+) column (\d+)/.exec(message);
    const position = /position (\d+)/.exec(message)?.[1];
    const { line, column } = lineCol
      ? { line: Number(lineCol[1]), column: Number(lineCol[2]) }
      : position === undefined
        ? { line: null, column: null }
        : lineColumn(text, Number(position));
    const gist = message.replace(/\s*(?:in JSON )?at position \d+.*$|\s*\(line \d+ column \d+\)$/s, '');
    throw syntaxError(file, line, column, `invalid JSON: ${gist}`, error);
  }
  const scripts = (json as { scripts?: unknown } | null)?.scripts;
  if (scripts === null || typeof scripts !== 'object' || Array.isArray(scripts)) return [];
  const scriptsAt = text.indexOf('"scripts"');
  const found: FoundPort[] = [];
  for (const [name, command] of Object.entries(scripts as Record<string, unknown>)) {
    if (typeof command !== 'string') continue;
    const hits: Array<{ index: number; port: number; text: string }> = [];
    for (const pattern of PATTERNS) {
      for (const match of command.matchAll(pattern)) {
        const value = Number(match[3]);
        hits.push({ index: match.index, port: value, text: match[0] });
      }
    }
    hits.sort((a, b) => a.index - b.index);
    const keyAt = text.indexOf(JSON.stringify(name), scriptsAt);
    const line = keyAt === -1 ? null : lineColumn(text, keyAt).line;
    const base = serviceName(name) || 'script';
    hits.forEach((hit, i) => {
      const service = i === 0 ? base : `${base}-${i + 1}`;
      const source = { kind: 'script' as const, file, line, origin: name, text: hit.text };
      if (hit.port < 1 || hit.port > 65535) {
        found.push({ service, port: null, skip: hit.port === 0 ? 'port 0 means "any free port"' : `${hit.port} is not a port number`, source });
      } else {
        found.push({ service, port: hit.port, source });
      }
    });
  }
  return found;
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
