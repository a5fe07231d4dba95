import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isAlive, isSelf, ownerOf } from '../src/owner.js';
import { onCleanup, sleep, startNode } from './helpers.js';
import { NEEDS } from './os.js';

describe('owner identity', () => {
  it('is pid + start time + boot id + pid namespace + hostname', () => {
    const me = ownerOf();
    expect(me.pid).toBe(process.pid);
    if (process.platform === 'linux') {
      expect(me.start).toMatch(/^\d+$/);
      expect(me.boot).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
      expect(me.ns).toMatch(/^pid:\[\d+\]$/);
    }
    expect(isSelf(me)).toBe(true);
    expect(isAlive(me)).toBe(true);
  });

  it('a reused pid (same pid, other start time) is dead', () => {
    const me = ownerOf();
    expect(isAlive({ ...me, start: '1' })).toBe(false);
    expect(isSelf({ ...me, start: '1' })).toBe(false);
  });

  it('an exited process is dead', async () => {
    const child = startNode('-e', ['0']);
    const owner = ownerOf(child.pid!);
    await child.done;
    expect(isAlive(owner)).toBe(false);
  });

  it.skipIf(NEEDS.proc)('a zombie is dead', async () => {
    if (process.platform !== 'linux') return;
    // sh backgrounds a short sleep, then becomes a long sleep that never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    onCleanup(() => void parent.kill('SIGKILL'));
    const pid = Number(await new Promise<string>((done) => parent.stdout.once('data', (chunk: Buffer) => done(chunk.toString()))));
    const owner = ownerOf(pid);
    expect(isAlive(owner)).toBe(true);
    await sleep(300);
    expect(readFileSync(`/proc/${pid}/stat`, 'utf8')).toMatch(/\) Z /);
    expect(isAlive(owner)).toBe(false);
  });

  it('an owner on another host or pid namespace is judged by ttl only (alive)', () => {
    const gone = { pid: 2 ** 22 - 3, start: '5', boot: 'b', ns: 'pid:[1]', host: 'elsewhere' };
    expect(isAlive(gone)).toBe(true);
    expect(isAlive({ ...ownerOf(), pid: 2 ** 22 - 3, ns: 'pid:[42]' })).toBe(true);
    expect(isAlive({ ...ownerOf(), pid: 2 ** 22 - 3 })).toBe(false);
  });

  it.skipIf(NEEDS.bootId)('an owner of this host and pid namespace but a previous boot is dead, even when its pid runs now', () => {
    expect(isAlive({ ...ownerOf(), boot: 'a-boot-before-the-power-cut' })).toBe(false);
    expect(isAlive({ ...ownerOf(), pid: 1, start: null, boot: 'a-boot-before-the-power-cut' })).toBe(false);
  });

  it('a live pid without a recorded start time counts as alive', () => {
    expect(isAlive({ ...ownerOf(), start: null })).toBe(true);
  });
});
