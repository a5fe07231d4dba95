/**
 * The registry file's shape and its strict validation (pure). Entries are arrays, never
 * objects keyed by user-chosen names, so no name can reach the prototype chain.
 */
import { SCHEMA_VERSION } from './defaults.js';
import { isIsoTime } from './iso-time.js';
import { keyPart } from './names.js';
import { routePathProblem } from './url.js';
import type { Lease, Owner } from './types.js';

/** Last port a named key had, kept after release so the key gets it back. */
export interface StickyPort {
  key: string;
  port: number;
}

/** The whole registry file. */
export interface RegistryData {
  schema: number;
  /** Revision: the number in the file's name, +1 on every commit (see commit.ts). */
  rev: number;
  /** Tokens of the last commits, this one last: lets a writer tell its descendants (commit.ts). */
  lineage?: string[];
  /** Next lease id (ids rise and are never reused). */
  nextId: number;
  leases: Lease[];
  sticky: StickyPort[];
}

/** An empty registry. */
export function emptyRegistry(): RegistryData {
  return { schema: SCHEMA_VERSION, rev: 0, nextId: 1, leases: [], sticky: [] };
}

/** Why a parsed file is not a registry this build can use. */
export type Invalid = { kind: 'corrupt'; reason: string } | { kind: 'future'; schema: number };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isPort = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isNullableString = (value: unknown) => value === null || typeof value === 'string';
const isTime = isIsoTime;

function ownerProblem(value: unknown): string | null {
  if (value === null) return null;
  if (!isObject(value)) return 'owner is not an object';
  const owner = value as Partial<Owner>;
  if (!isCount(owner.pid) || owner.pid === 0) return 'owner.pid is not a pid';
  if (!isNullableString(owner.start) || !isNullableString(owner.boot) || !isNullableString(owner.ns)) {
    return 'owner identity fields have wrong types';
  }
  if (typeof owner.host !== 'string') return 'owner.host is not a string';
  return null;
}

function leaseProblem(value: unknown): string | null {
  if (!isObject(value)) return 'is not an object';
  if (!isCount(value['id']) || value['id'] === 0) return 'has no valid id';
  if (!isPort(value['port'])) return 'has a port outside 1-65535';
  if (typeof value['app'] !== 'string' || typeof value['instance'] !== 'string') return 'has no app/instance';
  if (!isNullableString(value['service'])) return 'has a service that is not a string';
  if (value['label'] !== undefined && typeof value['label'] !== 'string') return 'has a label that is not a string';
  const owner = ownerProblem(value['owner']);
  if (owner) return `has a bad owner: ${owner}`;
  if (value['expiresAt'] !== null && !isTime(value['expiresAt'])) return 'has a bad expiresAt';
  if (value['ttl'] !== undefined && !isCount(value['ttl'])) return 'has a bad ttl';
  if (!isTime(value['createdAt'])) return 'has a bad createdAt';
  const path = value['path'];
  if (path !== undefined && (typeof path !== 'string' || routePathProblem(path) !== undefined)) return 'has a bad path';
  if (value['stripPath'] !== undefined && typeof value['stripPath'] !== 'boolean') return 'has a bad stripPath';
  return null;
}

/** Validates parsed JSON as a registry. Returns the data or why it cannot be used. */
export function validateRegistry(value: unknown): RegistryData | Invalid {
  if (!isObject(value)) return { kind: 'corrupt', reason: 'the top level is not an object' };
  const schema = value['schema'];
  if (typeof schema === 'number' && Number.isInteger(schema) && schema > SCHEMA_VERSION) return { kind: 'future', schema };
  if (schema !== SCHEMA_VERSION) return { kind: 'corrupt', reason: `schema is ${JSON.stringify(schema)}, expected ${SCHEMA_VERSION}` };
  if (!isCount(value['rev'])) return { kind: 'corrupt', reason: 'rev is not a count' };
  if (!isCount(value['nextId']) || value['nextId'] === 0) return { kind: 'corrupt', reason: 'nextId is not a positive count' };
  const lineage = value['lineage'];
  if (lineage !== undefined && (!Array.isArray(lineage) || lineage.length > 64 || !lineage.every((token) => typeof token === 'string'))) {
    return { kind: 'corrupt', reason: 'lineage is not a list of commit tokens' };
  }
  const leases = value['leases'];
  const sticky = value['sticky'];
  if (!Array.isArray(leases)) return { kind: 'corrupt', reason: 'leases is not an array' };
  if (!Array.isArray(sticky)) return { kind: 'corrupt', reason: 'sticky is not an array' };
  // One pass, allocating nothing per lease (reading a 10,000-lease registry validates it
  // all, and Sets of ids and of built key strings were as costly as JSON.parse itself).
  const nextId = value['nextId'];
  const ports = new Uint8Array(65536);
  const keys = new ServiceKeys();
  // Ids are ascending in any registry portlease wrote (new leases are appended with
  // nextId, removals keep the order), and an ascending id cannot repeat: a Set of the
  // ids is built only when one is not, from the leases before it.
  let lastId = 0;
  let ids: Set<number> | null = null;
  for (let index = 0; index < leases.length; index++) {
    const lease: unknown = leases[index];
    const problem = leaseProblem(lease);
    if (problem) return { kind: 'corrupt', reason: `lease #${index} ${problem}` };
    const { id, port, app, instance, service } = lease as Lease;
    if (id >= nextId) return repeatedId(id);
    if (ids === null && id <= lastId) ids = new Set(leases.slice(0, index).map((earlier: Lease) => earlier.id));
    if (ids === null) lastId = id;
    else if (ids.has(id)) return repeatedId(id);
    else ids.add(id);
    if (ports[port] === 1) return { kind: 'corrupt', reason: `port ${port} is leased twice` };
    ports[port] = 1;
    if (service !== null && !keys.add(app, instance, service)) {
      return { kind: 'corrupt', reason: `service ${leaseKey(app, instance, service)} is leased twice` };
    }
  }
  for (let index = 0; index < sticky.length; index++) {
    const entry: unknown = sticky[index];
    if (!isObject(entry) || typeof entry['key'] !== 'string' || !isPort(entry['port'])) {
      return { kind: 'corrupt', reason: 'a sticky entry is malformed' };
    }
  }
  return value as unknown as RegistryData;
}

const repeatedId = (id: number): Invalid => ({ kind: 'corrupt', reason: `lease id ${id} is repeated or not below nextId` });

/**
 * The (app, instance, service) triples seen, without building their key strings: two
 * leases share a key exactly when they share the triple (each part of a key is
 * percent-encoded, see {@link leaseKey}). Maps, not objects: names reach no prototype.
 */
class ServiceKeys {
  private readonly apps = new Map<string, Map<string, Set<string>>>();
  // Most leases of a registry share their app and instance: the last set found is kept.
  private lastApp: string | null = null;
  private lastInstance: string | null = null;
  private last: Set<string> | null = null;

  /** Adds a triple; `false` when it was already there. */
  add(app: string, instance: string, service: string): boolean {
    let services = this.last;
    if (services === null || app !== this.lastApp || instance !== this.lastInstance) {
      let instances = this.apps.get(app);
      if (instances === undefined) {
        instances = new Map();
        this.apps.set(app, instances);
      }
      services = instances.get(instance) ?? null;
      if (services === null) {
        services = new Set();
        instances.set(instance, services);
      }
      this.lastApp = app;
      this.lastInstance = instance;
      this.last = services;
    }
    if (services.has(service)) return false;
    services.add(service);
    return true;
  }
}

/**
 * Key of a named lease: `app/instance/service`, each part with `%` and `/` percent-encoded
 * so that names holding `/` (`feature/login`) cannot make two triples share a key. Keys of
 * names without `%` or `/` are unchanged, so sticky ports recorded before survive.
 */
export function leaseKey(app: string, instance: string, service: string): string {
  return `${keyPart(app)}/${keyPart(instance)}/${keyPart(service)}`;
}

/**
 * A copy of a lease for handing out: the registry's own objects stay cached for the next
 * read (and are much cheaper to copy this way than with structuredClone).
 */
export function copyLease(lease: Lease): Lease {
  return { ...lease, owner: lease.owner === null ? null : { ...lease.owner } };
}
