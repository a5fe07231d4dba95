/**
 * Docker compose files: finds the host-bound ports of every service, with the line each
 * came from. Parsed with the `yaml` package (anchors, `<<` merge keys and the compose
 * `!reset` / `!override` tags included), never with regexes. Pure: text in, data out.
 */
import { isAlias, isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { type FoundPort, serviceName, variableService } from './found.js';
import { parsePortEntry, type PortMapping } from './compose-port.js';
import { syntaxError } from './syntax-error.js';

/** The ports of one service in one compose file. */
export interface ServicePorts {
  /** The compose service, as written. */
  service: string;
  /** The entries, in file order. */
  entries: Array<{ mappings: PortMapping[]; line: number | null; text: string } | { skip: string; variable?: string; line: number | null; text: string }>;
  /** `ports: !reset` / `!override`: entries of earlier files for this service are dropped. */
  replace: boolean;
}

/** What one compose file publishes. */
export interface ComposeScan {
  file: string;
  services: ServicePorts[];
}

/**
 * Parses one compose file (v2, v3 or the compose spec; also the old v1 layout without
 * `services:`), interpolating `${VAR}` references with `vars` (the project's `.env` and
 * the shell). Throws a `SyntaxError` naming the file and line when the YAML is malformed.
 *
 * @example
 * scanComposeFile('services:\n  db:\n    ports: ["5432:5432"]\n', 'compose.yaml', {});
 */
export function scanComposeFile(text: string, file: string, vars: Readonly<Record<string, string | undefined>>): ComposeScan {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, merge: true, prettyErrors: true });
  const error = doc.errors[0];
  if (error !== undefined) {
    const pos = error.linePos?.[0];
    const message = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? error.message;
    throw syntaxError(file, pos?.line ?? null, pos?.col ?? null, message, error);
  }
  const lineOf = (node: unknown): number | null => {
    const range = (node as Node | undefined)?.range;
    return range ? lines.linePos(range[0]).line : null;
  };
  const resolve = (node: unknown): unknown => (isAlias(node) ? node.resolve(doc) : node);
  const child = (node: unknown, key: string): unknown => {
    const map = resolve(node);
    return isMap(map) ? resolve(map.get(key, true)) : undefined;
  };

  let data: unknown;
  try {
    // yaml's guard against alias bombs stays on, with room for compose files that reuse
    // `x-` fragments in every service.
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    throw syntaxError(file, null, null, (error as Error).message, error);
  }
  if (data === null || data === undefined) return { file, services: [] };
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw syntaxError(file, 1, 1, 'not a compose file: expected a mapping with "services"');
  }
  const root = data as Record<string, unknown>;
  let services = root.services;
  let servicesNode = child(doc.contents, 'services');
  if (services === undefined && root.version === undefined) {
    // Compose file format v1: services at the top level.
    services = Object.fromEntries(Object.entries(root).filter(([key, value]) => !key.startsWith('x-') && isService(value)));
    servicesNode = doc.contents;
  }
  if (services === null || typeof services !== 'object' || Array.isArray(services)) return { file, services: [] };

  const result: ComposeScan = { file, services: [] };
  for (const [service, definition] of Object.entries(services as Record<string, unknown>)) {
    if (definition === null || typeof definition !== 'object') continue;
    const spec = definition as Record<string, unknown>;
    const serviceNode = child(servicesNode, service);
    const portsNode = child(serviceNode, 'ports');
    const tag = (portsNode as Node | undefined)?.tag;
    const replace = tag === '!reset' || tag === '!override';
    const ports = spec.ports;
    if (!Array.isArray(ports)) {
      if (replace) result.services.push({ service, entries: [], replace });
      continue;
    }
    const seq = isSeq(portsNode) ? portsNode.items : [];
    const entries: ServicePorts['entries'] = [];
    ports.forEach((entry: unknown, index) => {
      // Ports merged in from an anchor have no node of their own here: use the service's line.
      const line = lineOf(seq[index]) ?? lineOf(portsNode) ?? lineOf(serviceNode);
      const text = typeof entry === 'string' || typeof entry === 'number' ? String(entry) : JSON.stringify(entry);
      if (spec.network_mode === 'host') {
        entries.push({ skip: 'network_mode: host ignores ports (the container binds the host directly)', line, text });
        return;
      }
      const parsed = parsePortEntry(entry, vars);
      if (parsed.ok) entries.push({ mappings: parsed.mappings, line, text });
      else entries.push({ skip: parsed.reason, line, text, ...(parsed.variable ? { variable: parsed.variable } : {}) });
    });
    result.services.push({ service, entries, replace });
  }
  return result;
}

function isService(value: unknown): boolean {
  return value !== null && typeof value === 'object' && ('image' in value || 'build' in value || 'ports' in value);
}

/**
 * Combines the scans of a project's compose files the way `docker compose -f a -f b` merges
 * them (ports of later files are appended, `!reset`/`!override` replace), then names each
 * host port:
 * - a host port set by a `*_PORT` variable takes the variable's stem (`${POSTGRES_PORT}` →
 *   `postgres`), so that `portlease env postgres --write .env` feeds the same variable back;
 * - otherwise the first host port of a service takes the service's name and further ones
 *   `<service>-<port name or container port>`.
 *
 * @example
 * composeFound([scanComposeFile(text, 'compose.yaml', vars)]);
 */
export function composeFound(scans: readonly ComposeScan[]): FoundPort[] {
  const byService = new Map<string, Array<ServicePorts['entries'][number] & { file: string }>>();
  for (const scan of scans) {
    for (const { service, entries, replace } of scan.services) {
      const list = replace ? [] : (byService.get(service) ?? []);
      list.push(...entries.map((entry) => ({ ...entry, file: scan.file })));
      byService.set(service, list);
    }
  }
  const found: FoundPort[] = [];
  for (const [service, entries] of byService) {
    const base = serviceName(service) || 'service';
    const used = new Set<string>();
    for (const entry of entries) {
      const source = { kind: 'compose' as const, file: entry.file, line: entry.line, origin: service, text: entry.text };
      if ('skip' in entry) {
        const named = entry.variable === undefined ? null : variableService(entry.variable);
        found.push({
          service: named ?? base,
          port: null,
          skip: entry.skip,
          ...(entry.variable ? { variable: entry.variable } : {}),
          source,
        });
        continue;
      }
      for (const mapping of entry.mappings) {
        let name = (mapping.variable === undefined ? null : variableService(mapping.variable)) ?? null;
        if (name === null) {
          const suffix = mapping.name ?? String(mapping.container ?? mapping.host);
          name = used.has(base) ? `${base}-${serviceName(suffix)}` : base;
          if (used.has(name)) name = `${base}-${mapping.host}`;
        }
        used.add(name);
        found.push({
          service: name,
          port: mapping.host,
          ...(mapping.container === null ? {} : { container: mapping.container }),
          protocol: mapping.protocol,
          ...(mapping.variable ? { variable: mapping.variable } : {}),
          source,
        });
      }
    }
  }
  return found;
}
