import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isPortleaseError, openRegistry } from '../src/index.js';
import { lockLeftovers, onCleanup, registryState, tempHome } from './helpers.js';

const root = process.getuid?.() === 0;

describe('a full disk (tagged: crash)', () => {
  // Mounting a tiny tmpfs needs root (CI runs as root); elsewhere this test is skipped.
  it.skipIf(!root)('fails with E_STORAGE, keeps the registry intact, leaves no temp file or lock, and recovers (needs root to mount a tmpfs)', async () => {
    const mountPoint = tempHome();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint]);
    onCleanup(() => void execFileSync('umount', [mountPoint]));
    const home = `${mountPoint}/home`;
    const registry = openRegistry({ home });
    const scope = { app: 'full', instance: 'i' };
    await registry.reserve('a', scope);
    const before = registryState(home);
    // Fill every block that is left.
    mkdirSync(`${mountPoint}/filler`);
    for (let i = 0; ; i++) {
      try {
        writeFileSync(`${mountPoint}/filler/${i}`, Buffer.alloc(4096));
      } catch {
        break;
      }
    }
    const error = await registry.reserve('b', scope).catch((caught: unknown) => caught);
    expect(isPortleaseError(error, 'E_STORAGE'), String(error)).toBe(true);
    expect((error as Error).message).toMatch(/ENOSPC/);
    expect(registryState(home)).toEqual(before);
    expect(lockLeftovers(home)).toEqual([]);
    rmSync(`${mountPoint}/filler`, { recursive: true });
    expect((await registry.reserve('b', scope)).service).toBe('b');
  });
});
