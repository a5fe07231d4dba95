/** The checks made on user-named paths before any lease: write targets and the registry home. */
import { spawnSync } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { openRegistry } from '../../src/api.js';
import { checkHome, checkWriteTarget, readTargetText } from '../../src/cli/targets.js';
import { tempDir } from './helpers.js';
import { NEEDS } from '../os.js';

describe('write targets', () => {
  test('a missing file in an existing folder is fine; folders, devices and FIFOs are refused unread', async () => {
    const dir = await tempDir();
    expect(await checkWriteTarget('--write', '.env', dir)).toBe(join(dir, '.env'));
    await expect(checkWriteTarget('--write', '', dir)).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(checkWriteTarget('--write', dir, dir)).rejects.toMatchObject({ code: 'E_FILE', message: expect.stringContaining('a folder') });
    await expect(checkWriteTarget('--write', '/dev/full', dir)).rejects.toMatchObject({ code: 'E_FILE', message: expect.stringContaining('a device') });
    const fifo = join(dir, 'fifo');
    spawnSync('mkfifo', [fifo]);
    await expect(checkWriteTarget('--port-file', fifo, dir)).rejects.toMatchObject({ code: 'E_FILE', message: expect.stringContaining('a FIFO') });
    // Opened non-blocking: a FIFO without a writer does not hang the read.
    await expect(readTargetText('--write', fifo)).rejects.toMatchObject({ code: 'E_FILE' });
  });

  test('a file over the limit is refused without being read', async () => {
    const dir = await tempDir();
    const big = join(dir, '.env');
    await writeFile(big, 'A=1\n'.repeat(100));
    expect(await readTargetText('--write', big, 1000)).toContain('A=1');
    await expect(readTargetText('--write', big, 100)).rejects.toMatchObject({ code: 'E_FILE', message: expect.stringContaining('400 bytes') });
    expect(await readTargetText('--write', join(dir, 'missing'))).toBeUndefined();
  });
});

describe('checkHome', () => {
  test('storage makes a missing home and its registry folder, as the first write would; nothing else', async () => {
    const dir = await tempDir();
    const home = join(dir, 'a', 'b');
    const registry = openRegistry({ home });
    expect(await checkHome(registry)).toBe(registry);
    expect(await readdir(home)).toEqual(['registry']);
    expect(await readdir(join(home, 'registry'))).toEqual([]);
  });

  test.skipIf(NEEDS.proc)('a file, a device or /proc is E_STORAGE at once (no lock retries), naming the home and what storage found', async () => {
    const dir = await tempDir();
    const file = join(dir, 'file');
    await writeFile(file, '');
    for (const home of [file, '/dev/null', '/proc', '/proc/portlease-x/y']) {
      await expect(checkHome(openRegistry({ home })), home).rejects.toMatchObject({
        name: 'PortleaseError',
        code: 'E_STORAGE',
        message: expect.stringContaining(`The registry home ${home} (--home or PORTLEASE_HOME) cannot hold a registry: `),
      });
    }
  });
});
