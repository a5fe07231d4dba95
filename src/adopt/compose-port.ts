/**
 * One entry of a compose service's `ports:` list, short (`"127.0.0.1:8080:80/tcp"`) or long
 * (`{ target, published, host_ip, protocol }`) syntax, turned into host → container
 * mappings. Pure; variables are interpolated here so that the host port can be traced back
 * to the variable that sets it.
 */
import { parsePortNumber } from './found.js';
import { interpolate } from './interpolate.js';

/** One published port. */
export interface PortMapping {
  /** Host port, or `null` when docker picks it (bare container port, empty published). */
  host: number | null;
  container: number | null;
  protocol: string;
  /** Host IP, without IPv6 brackets. */
  hostIp?: string;
  /** The variable that alone makes up the host port (`"${WEB_PORT:-3000}:3000"`). */
  variable?: string;
  /** Long-syntax `name:` of the port. */
  name?: string;
}

/** The mappings of one entry, or why it publishes nothing we can register. */
export type PortEntry = { ok: true; mappings: PortMapping[] } | { ok: false; reason: string; variable?: string };

/**
 * Parses one `ports:` entry, interpolating `${VAR}` references with `vars`.
 *
 * @example
 * parsePortEntry('${DB_PORT:-5432}:5432', {});
 * // { ok: true, mappings: [{ host: 5432, container: 5432, protocol: 'tcp', variable: 'DB_PORT' }] }
 */
export function parsePortEntry(entry: unknown, vars: Readonly<Record<string, string | undefined>>): PortEntry {
  if (typeof entry === 'number') return bare();
  if (typeof entry === 'string') return parseShort(entry, vars);
  if (entry !== null && typeof entry === 'object' && !Array.isArray(entry)) {
    return parseLong(entry as Record<string, unknown>, vars);
  }
  return { ok: false, reason: `not a port entry: ${JSON.stringify(entry)}` };
}

function bare(): PortEntry {
  return { ok: false, reason: 'container port only: docker picks the host port' };
}

function unresolved(missing: string[], errors: string[]): PortEntry | null {
  if (errors.length > 0) return { ok: false, reason: `required variable not set (${errors.join('; ')})` };
  const name = missing[0];
  if (name === undefined) return null;
  return {
    ok: false,
    reason: `\${${name}} is not set (set it in .env, e.g. with \`portlease env … --write .env\`)`,
    variable: name,
  };
}

function parseShort(raw: string, vars: Readonly<Record<string, string | undefined>>): PortEntry {
  const { value, spans, missing, errors } = interpolate(raw, vars);
  let text = value.trim();
  let protocol = 'tcp';
  const slash = text.lastIndexOf('/');
  if (slash !== -1) {
    protocol = text.slice(slash + 1).toLowerCase();
    text = text.slice(0, slash);
  }
  // Docker splits from the right: the last part is the container port, the one before it
  // the host port, and whatever precedes them the host IP (which may itself hold colons).
  const lastColon = text.lastIndexOf(':');
  if (lastColon === -1) return unresolved(missing, errors) ?? (text === '' ? invalid(raw) : bare());
  const container = text.slice(lastColon + 1);
  const beforeContainer = text.slice(0, lastColon);
  const hostColon = beforeContainer.lastIndexOf(':');
  const hostStart = hostColon + 1;
  const host = beforeContainer.slice(hostStart);
  let hostIp = hostColon === -1 ? undefined : beforeContainer.slice(0, hostColon);
  if (hostIp?.startsWith('[') && hostIp.endsWith(']')) hostIp = hostIp.slice(1, -1);
  const offset = value.indexOf(text);
  const span = spans.find((s) => s.start === offset + hostStart && s.end === offset + lastColon);
  const problem = unresolved(
    missing.filter((name) => span === undefined || name === span.name || host === ''),
    errors,
  );
  if (host === '') return problem ?? { ...bare(), ...(span ? { variable: span.name } : {}) };
  const mapped = mapRange(host, container, protocol, raw);
  if (!mapped.ok) return mapped;
  for (const mapping of mapped.mappings) {
    if (hostIp !== undefined && hostIp !== '') mapping.hostIp = hostIp;
    if (span !== undefined && mapped.mappings.length === 1) mapping.variable = span.name;
  }
  return mapped;
}

function parseLong(entry: Record<string, unknown>, vars: Readonly<Record<string, string | undefined>>): PortEntry {
  const text = (key: string): { value: string; variable?: string; missing: string[]; errors: string[] } => {
    const raw = entry[key];
    if (raw === undefined || raw === null) return { value: '', missing: [], errors: [] };
    const result = interpolate(String(raw), vars);
    const whole = result.spans.find((s) => s.start === 0 && s.end === result.value.length);
    return {
      value: result.value.trim(),
      missing: result.missing,
      errors: result.errors,
      ...(whole ? { variable: whole.name } : {}),
    };
  };
  const published = text('published');
  const target = text('target');
  const protocol = text('protocol').value.toLowerCase() || 'tcp';
  const hostIp = text('host_ip').value;
  const name = text('name').value;
  if (published.value === '') {
    const problem = unresolved(published.missing, published.errors);
    return problem ?? { ...bare(), ...(published.variable ? { variable: published.variable } : {}) };
  }
  const mapped = mapRange(published.value, target.value, protocol, JSON.stringify(entry));
  if (!mapped.ok) return mapped;
  for (const mapping of mapped.mappings) {
    if (hostIp !== '') mapping.hostIp = hostIp.replace(/^\[(.*)\]$/, '$1');
    if (name !== '') mapping.name = name;
    if (published.variable !== undefined && mapped.mappings.length === 1) mapping.variable = published.variable;
  }
  return mapped;
}

/** `"8000-8002"` → [8000, 8002]; `"80"` → [80, 80]; `null` when malformed. */
function parseRange(text: string): [number, number] | null {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  if (match === null) return null;
  const from = parsePortNumber(match[1] ?? '');
  const to = match[2] === undefined ? from : parsePortNumber(match[2]);
  return from === null || to === null || to < from ? null : [from, to];
}

function mapRange(host: string, container: string, protocol: string, raw: string): PortEntry {
  const hosts = parseRange(host);
  if (hosts === null) return invalid(raw, `host port ${JSON.stringify(host)} is not a port or range`);
  const containers = container === '' ? null : parseRange(container);
  if (container !== '' && containers === null) {
    return invalid(raw, `container port ${JSON.stringify(container)} is not a port or range`);
  }
  const hostCount = hosts[1] - hosts[0] + 1;
  const containerCount = containers === null ? hostCount : containers[1] - containers[0] + 1;
  if (containerCount === 1 && hostCount > 1) {
    return { ok: false, reason: `host range ${host} for one container port: docker picks one of them` };
  }
  if (containerCount !== hostCount) return invalid(raw, `ranges ${host} and ${container} differ in length`);
  const mappings: PortMapping[] = [];
  for (let i = 0; i < hostCount; i++) {
    mappings.push({ host: hosts[0] + i, container: containers === null ? null : containers[0] + i, protocol });
  }
  return { ok: true, mappings };
}

function invalid(raw: string, why = 'not a valid port mapping'): PortEntry {
  return { ok: false, reason: `${JSON.stringify(raw)}: ${why}` };
}
