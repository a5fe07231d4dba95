/**
 * The last registry this process read or wrote, per file, with its exact bytes. When the
 * file still holds those bytes, decoding, parsing and validating it again (most of a
 * reserve's CPU on a large registry) is skipped. Comparing costs the read and a memcmp but,
 * unlike inode, mtime and size, it cannot be fooled by inode reuse or coarse timestamps.
 *
 * Cached data is shared: readers treat it as read-only and copy what they hand out; a
 * transaction `take`s its entry out while it mutates the data, and the commit `keep`s the
 * new revision.
 */
import type { RegistryData } from './schema.js';

const entries = new Map<string, { bytes: Buffer; data: RegistryData }>();
// A few revisions are live at a time; old names are pruned from disk and from here.
const MAX_ENTRIES = 8;

export const cache = {
  /** The cached data of `file` when its bytes are still `bytes`. */
  lookup(file: string, bytes: Buffer): RegistryData | undefined {
    const entry = entries.get(file);
    return entry?.bytes.equals(bytes) ? entry.data : undefined;
  },
  /** Remembers what `file` holds. */
  keep(file: string, bytes: Buffer, data: RegistryData): void {
    entries.delete(file);
    entries.set(file, { bytes, data });
    if (entries.size > MAX_ENTRIES) entries.delete(entries.keys().next().value!);
  },
  /** Forgets `file`: its data is about to be mutated. */
  take(file: string): void {
    entries.delete(file);
  },
};
