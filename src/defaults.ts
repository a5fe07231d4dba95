import type { PortRange } from './types.js';

/**
 * Default range: below every OS's ephemeral range (Linux 32768–60999, macOS/Windows
 * 49152–65535), where outgoing connections take source ports at any moment, and clear of
 * the well-known dev defaults (3000, 5173, 5432, 6379, 8080, …).
 */
export const DEFAULT_RANGE: PortRange = [20000, 29999];

/** Name of the registry's directory of revisions inside the home. */
export const REGISTRY_DIR = 'registry';

/** The registry schema this build reads and writes. */
export const SCHEMA_VERSION = 1;

/**
 * Lock timings. `stale` is how long a waiter watches a holder that cannot be proven dead
 * make no sign of life (the holder touches its entry every `stale / 2`) before it passes
 * it over. Measured on the waiter's own monotonic clock, never against another's.
 */
export const LOCK_STALE_MS = 10_000;
/** Overall deadline for taking the lock, after which `E_LOCK_TIMEOUT`. */
export const LOCK_DEADLINE_MS = 30_000;

/** How many times `listen()` retries on EADDRINUSE before giving up. */
export const LISTEN_ATTEMPTS = 10;

/**
 * Ports inside the default range that well-known software listens on: handing them out
 * would collide with a service the user starts later.
 */
export const WELL_KNOWN_PORTS: readonly number[] = [
  20000, // DNP3 / Usermin
  22222, // common alternative ssh
  24224, // fluentd forward
  25565, // Minecraft
  25575, // Minecraft RCON
  26257, // CockroachDB
  27015,
  27016,
  27017,
  27018,
  27019, // Source engine / MongoDB
  28015, // RethinkDB
  28017, // MongoDB http status
  29092, // Kafka (common docker host mapping)
];

/** Ports that browsers refuse to fetch from (the WHATWG "bad ports" list). */
export const BROWSER_UNSAFE_PORTS: readonly number[] = [
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137,
  139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
  3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
];
