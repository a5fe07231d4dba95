/**
 * Tells when the registry changes, so that the proxy's cached routes are dropped at once
 * instead of after their max age. One `fs.watch` on the registry directory (or on the home
 * until that directory exists); watch events can be missed or the directory replaced, so
 * the caller still bounds the cache's age, and `rearm()` watches again when needed.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { RegistryPaths } from '../paths.js';

/** A registry watch. */
export interface RegistryWatch {
  /** Watches the registry directory if it was not watched yet (it may have appeared since). */
  rearm(): void;
  close(): void;
}

/**
 * Calls `onChange` whenever a file in the registry directory changes.
 *
 * @example
 * const watcher = watchRegistry(resolvePaths(home), () => routes.invalidate());
 */
export function watchRegistry(paths: RegistryPaths, onChange: () => void): RegistryWatch {
  let watcher: FSWatcher | null = null;
  let watching: string | null = null;
  let closed = false;
  const rearm = (): void => {
    if (closed || watching === paths.registry) return;
    for (const target of [paths.registry, paths.dir]) {
      try {
        const next = watch(target, { persistent: false }, () => {
          onChange();
          // The registry directory appeared under the home: watch it instead.
          if (watching !== paths.registry) rearm();
        });
        next.on('error', () => {
          next.close();
          if (watcher === next) [watcher, watching] = [null, null];
          onChange();
        });
        watcher?.close();
        [watcher, watching] = [next, target];
        return;
      } catch {
        // Missing: try the home; failing both, the cache's max age alone bounds staleness.
      }
    }
  };
  rearm();
  return {
    rearm,
    close() {
      closed = true;
      watcher?.close();
      [watcher, watching] = [null, null];
    },
  };
}
