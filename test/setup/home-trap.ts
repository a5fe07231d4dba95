/**
 * vitest globalSetup: points HOME (inherited by every child process) at a temporary
 * directory, and fails the run if anything created `.portlease` there — a test that
 * reached the real registry location instead of a temp home.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const trap = mkdtempSync(join(tmpdir(), 'portlease-home-trap-'));
  const previous = { HOME: process.env['HOME'], PORTLEASE_HOME: process.env['PORTLEASE_HOME'] };
  process.env['HOME'] = trap;
  delete process.env['PORTLEASE_HOME'];
  return () => {
    const leaked = existsSync(join(trap, '.portlease'));
    rmSync(trap, { recursive: true, force: true });
    Object.assign(process.env, previous);
    if (leaked) throw new Error('a test wrote to ~/.portlease (of the trap HOME): every test must use a temp home');
  };
}
