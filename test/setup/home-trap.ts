/**
 * vitest globalSetup: points HOME (and on Windows USERPROFILE and LOCALAPPDATA, where the
 * default home lives there) at a temporary directory, inherited by every child process,
 * and fails the run if anything created a registry there — a test that reached the real
 * registry location instead of a temp home.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** The real home's registry as it stands: a test that bypassed HOME (an explicit path, a child with its own env) changes it. */
function realRegistry(): string {
  try {
    const stat = statSync(join(homedir(), '.portlease'));
    return `${stat.mtimeMs}`;
  } catch {
    return 'absent';
  }
}

export default function setup(): () => void {
  const real = realRegistry(); // read before HOME moves
  const realPath = join(homedir(), '.portlease');
  const trap = mkdtempSync(join(tmpdir(), 'portlease-home-trap-'));
  const names = ['HOME', 'USERPROFILE', 'LOCALAPPDATA', 'PORTLEASE_HOME'] as const;
  const previous = Object.fromEntries(names.map((name) => [name, process.env[name]]));
  process.env['HOME'] = trap;
  if (process.platform === 'win32') {
    process.env['USERPROFILE'] = trap;
    process.env['LOCALAPPDATA'] = trap;
  }
  delete process.env['PORTLEASE_HOME'];
  return () => {
    const leaked = existsSync(join(trap, '.portlease')) || existsSync(join(trap, 'portlease'));
    rmSync(trap, { recursive: true, force: true });
    for (const name of names) {
      if (previous[name] === undefined) delete process.env[name];
      else process.env[name] = previous[name];
    }
    if (leaked) throw new Error('a test wrote to ~/.portlease (of the trap HOME): every test must use a temp home');
    if (realRegistry() !== real) throw new Error(`a test changed the real ${realPath}: every test must use a temp home`);
  };
}
