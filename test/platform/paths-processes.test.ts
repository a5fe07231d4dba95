import { spawn } from 'node:child_process';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { defaultHome } from '../../src/paths.js';
import { linuxPlatform } from '../../src/platform/linux.js';
import { win32Platform } from '../../src/platform/win32.js';
import { fakeClocks, scriptedRunner } from './fakes.js';

describe('the default home', () => {
  test('~/.portlease on POSIX', () => {
    expect(defaultHome({}, 'linux')).toBe(join(homedir(), '.portlease'));
    expect(defaultHome({ LOCALAPPDATA: 'C:\\x' }, 'darwin')).toBe(join(homedir(), '.portlease'));
  });

  test('Windows: %LOCALAPPDATA%\\portlease (per user, never roams), else ~/.portlease', () => {
    expect(defaultHome({ LOCALAPPDATA: 'C:\\Users\\ana\\AppData\\Local' }, 'win32')).toBe('C:\\Users\\ana\\AppData\\Local\\portlease');
    expect(defaultHome({}, 'win32')).toBe(join(homedir(), '.portlease'));
  });
});

describe('terminate', () => {
  test('Windows ends the whole tree with taskkill /T /F (a .cmd shim runs under cmd.exe)', () => {
    const run = scriptedRunner([[/^taskkill /, ['SUCCESS: The process with PID 4242 (child process of PID 4200) has been terminated.\r\n']]]);
    win32Platform({ run, clocks: fakeClocks(0), warn: () => {} }).terminate(4242, 'SIGTERM');
    expect(run.calls).toEqual(['taskkill /PID 4242 /T /F']);
  });

  test('Windows without taskkill falls back to the direct child (here: a pid that does not exist)', () => {
    const run = scriptedRunner([]);
    expect(() => win32Platform({ run, clocks: fakeClocks(0), warn: () => {} }).terminate(2 ** 22 + 7, 'SIGTERM')).not.toThrow();
  });

  test.skipIf(process.platform === 'win32')('POSIX passes the signal on (a real child; skipped on Windows: no signals)', async () => {
    const child = spawn(process.execPath, [
      '-e',
      "process.on('SIGTERM', () => { console.log('term'); process.exit(3) }); setInterval(() => {}, 1000); console.log('ready')",
    ]);
    let out = '';
    await new Promise<void>((ready) =>
      child.stdout.on('data', (chunk: Buffer) => {
        out += String(chunk);
        if (out.includes('ready')) ready();
      }),
    );
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    linuxPlatform().terminate(child.pid!, 'SIGTERM');
    expect(await exited).toBe(3);
  });
});
