/**
 * Pure helpers shared by the test-runner integrations: checking the service names a
 * global setup reserves ports for, and publishing those ports through environment
 * variables (the one channel every runner passes from its main process to its workers).
 */
import { typeError, rangeError } from '../errors.js';
import { envNamePart, nameProblem, NAME_RULE, showName, trimName } from '../names.js';

/** Name of the variable that holds every published port as JSON (`{"db":20001}`). */
export const PORTS_ENV = 'PORTLEASE_PORTS';

// The one key a plain object cannot hold as data: assigning it sets the prototype.
const PROTO = '__proto__';

/** Why `name` cannot name a published port, or `undefined`. */
function serviceProblem(name: string): string | undefined {
  if (trimName(name) !== name) return 'it has spaces around it';
  const problem = nameProblem(name);
  if (problem !== undefined) return `${problem} (${NAME_RULE})`;
  if (name === PROTO) return 'it cannot be a key of the ports object';
  if (envNamePart(name) === undefined) return 'it has no letter or digit A-Z 0-9 to name its environment variable after';
  return undefined;
}

/**
 * Checks the service names of a global setup: distinct names as the library accepts them
 * (`feature/login`, `my app`, `café`; untrimmed, not `__proto__`), that also map to distinct
 * environment variables. Throws before anything is reserved.
 *
 * @example
 * checkServices(['db', 'api']); // ['db', 'api']
 * checkServices(['my-db', 'my_db']); // RangeError: both map to PORTLEASE_PORT_MY_DB
 */
export function checkServices(services: unknown): string[] {
  if (!Array.isArray(services) && !(typeof services === 'object' && services !== null && Symbol.iterator in services)) {
    throw typeError(`services must be an array of names such as ['db', 'api'], got ${describe(services)}`);
  }
  const names = [...(services as Iterable<unknown>)];
  const seen = new Map<string, string>();
  for (const name of names) {
    if (typeof name !== 'string') throw typeError(`each service must be a string, got ${describe(name)}`);
    const problem = serviceProblem(name);
    if (problem !== undefined) throw rangeError(`service ${showName(name)} is not a valid name: ${problem}`);
    const variable = portEnvName(name);
    const other = seen.get(variable);
    if (other !== undefined) {
      throw rangeError(
        other === name
          ? `service ${JSON.stringify(name)} is listed twice`
          : `services ${JSON.stringify(other)} and ${JSON.stringify(name)} both map to ${variable}: rename one`,
      );
    }
    seen.set(variable, name);
  }
  return names as string[];
}

/**
 * The environment variable that carries a service's port: `PORTLEASE_PORT_` and the name's
 * environment form (accents dropped, upper case, every run of other characters one `_`).
 * A name without any letter or digit A-Z 0-9 is refused by {@link checkServices}.
 *
 * @example
 * portEnvName('my-db');         // 'PORTLEASE_PORT_MY_DB'
 * portEnvName('feature/login'); // 'PORTLEASE_PORT_FEATURE_LOGIN'
 */
export function portEnvName(service: string): string {
  return `PORTLEASE_PORT_${envNamePart(service) ?? '_'}`;
}

/**
 * The environment variables that publish `ports`: one `PORTLEASE_PORT_<NAME>` each, for
 * child processes and compose files, plus `PORTLEASE_PORTS` as JSON for the test helpers.
 *
 * @example
 * portsEnv({ db: 20001 }); // { PORTLEASE_PORT_DB: '20001', PORTLEASE_PORTS: '{"db":20001}' }
 */
export function portsEnv(ports: Readonly<Record<string, number>>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, port] of Object.entries(ports)) env[portEnvName(name)] = String(port);
  env[PORTS_ENV] = JSON.stringify(ports);
  return env;
}

/**
 * Reads the ports published by a global setup from an environment. Tolerates a missing
 * or malformed variable (returns `{}`): the caller reports which name is missing.
 *
 * @example
 * readPorts({ PORTLEASE_PORTS: '{"db":20001}' }); // { db: 20001 }
 */
export function readPorts(env: Readonly<Record<string, string | undefined>>): Record<string, number> {
  const text = env[PORTS_ENV];
  if (!text) return {};
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
    const ports: Record<string, number> = {};
    for (const [name, port] of Object.entries(value)) {
      const valid = serviceProblem(name) === undefined && Number.isInteger(port) && port > 0 && port < 65536;
      if (valid) ports[name] = port as number;
    }
    return ports;
  } catch {
    return {};
  }
}

/**
 * Picks one published port, with an error that says what was published and how to fix it.
 *
 * @example
 * pickPort({ db: 20001 }, 'db', 'vitest'); // 20001
 */
export function pickPort(ports: Readonly<Record<string, number>>, service: string, runner: 'vitest' | 'jest'): number {
  if (typeof service !== 'string') throw typeError(`service must be a string, got ${describe(service)}`);
  const port = Object.hasOwn(ports, service) ? ports[service] : undefined;
  if (port !== undefined) return port;
  const known = Object.keys(ports);
  const setup =
    runner === 'vitest'
      ? `export default setupPorts(['${service}']) from a globalSetup file (portlease/vitest/setup)`
      : `module.exports = setupPorts(['${service}']) from the globalSetup file (portlease/jest/setup)`;
  throw rangeError(
    known.length === 0
      ? `No port was published for ${JSON.stringify(service)}: no portlease global setup ran. Add ${setup}.`
      : `No port was published for ${JSON.stringify(service)} (published: ${known.join(', ')}). Add it to setupPorts([...]).`,
  );
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'string' ? JSON.stringify(value) : typeof value;
}
