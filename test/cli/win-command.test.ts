import { describe, expect, test } from 'vitest';
import { findExecutable, quoteForCmd, resolveCommand, type CommandLookup } from '../../src/cli/win-command.js';

/** A Windows machine: Node's folder on PATH, a project with node_modules\.bin shims. */
function windows(files: string[], env: Record<string, string> = {}): CommandLookup {
  const set = new Set(files.map((file) => file.toLowerCase()));
  return {
    os: 'win32',
    cwd: 'C:\\work\\shop',
    env: { Path: 'C:\\Windows\\system32;"C:\\Program Files\\nodejs";C:\\work\\shop\\node_modules\\.bin', ComSpec: 'C:\\Windows\\system32\\cmd.exe', ...env },
    exists: (path) => set.has(path.toLowerCase()),
  };
}

const NODE_DIR = 'C:\\Program Files\\nodejs';
const MACHINE = windows([`${NODE_DIR}\\node.exe`, `${NODE_DIR}\\npx.cmd`, 'C:\\work\\shop\\node_modules\\.bin\\next.cmd', 'C:\\Windows\\system32\\where.exe']);

describe('finding a command as Windows does (PATH, PATHEXT, the case-insensitive Path)', () => {
  test('npx is npx.cmd, node is node.exe, next a node_modules\\.bin shim', () => {
    expect(findExecutable('npx', MACHINE)).toBe(`${NODE_DIR}\\npx.cmd`);
    expect(findExecutable('node', MACHINE)).toBe(`${NODE_DIR}\\node.exe`);
    expect(findExecutable('next', MACHINE)).toBe('C:\\work\\shop\\node_modules\\.bin\\next.cmd');
    expect(findExecutable('node.exe', MACHINE)).toBe(`${NODE_DIR}\\node.exe`);
    expect(findExecutable('missing', MACHINE)).toBeUndefined();
  });

  test('a name with a folder is not searched on PATH; an absolute one is taken as is', () => {
    const machine = windows(['C:\\work\\shop\\scripts\\dev.cmd', 'D:\\tools\\x.exe']);
    expect(findExecutable('scripts\\dev', machine)).toBe('C:\\work\\shop\\scripts\\dev.cmd');
    expect(findExecutable('D:\\tools\\x', machine)).toBe('D:\\tools\\x.exe');
  });

  test('PATHEXT decides which extensions count', () => {
    const machine = windows([`${NODE_DIR}\\npx.cmd`], { PATHEXT: '.EXE' });
    expect(findExecutable('npx', machine)).toBeUndefined();
  });
});

describe('resolveCommand', () => {
  test('off Windows: as given', () => {
    expect(resolveCommand('npx', ['vite'], { ...MACHINE, os: 'linux' })).toEqual({ file: 'npx', args: ['vite'], verbatim: false });
  });

  test('an .exe directly, its arguments untouched', () => {
    expect(resolveCommand('node', ['server.js', 'a b'], MACHINE)).toEqual({ file: `${NODE_DIR}\\node.exe`, args: ['server.js', 'a b'], verbatim: false });
  });

  test('a .cmd through cmd.exe /d /s /c, quoted verbatim', () => {
    const command = resolveCommand('npx', ['vite', '--port', '3000'], MACHINE);
    expect(command.file).toBe('C:\\Windows\\system32\\cmd.exe');
    expect(command.verbatim).toBe(true);
    expect(command.args).toEqual(['/d', '/s', '/c', '"C:\\Program^ Files\\nodejs\\npx.cmd ^"vite^" ^"--port^" ^"3000^""']);
  });

  test('a node_modules\\.bin shim escapes metacharacters twice (it passes them through cmd.exe again)', () => {
    const command = resolveCommand('next', ['dev', 'a&b'], MACHINE);
    expect(command.args[3]).toBe('"C:\\work\\shop\\node_modules\\.bin\\next.cmd ^^^"dev^^^" ^^^"a^^^&b^^^""');
  });

  test('not found: as given, so that spawn says ENOENT (exit 127)', () => {
    expect(resolveCommand('nope', [], MACHINE)).toEqual({ file: 'nope', args: [], verbatim: false });
  });
});

test('quoting: backslashes before a quote or the end are doubled, quotes escaped', () => {
  expect(quoteForCmd('C:\\dir\\', false)).toBe('^"C:\\dir\\\\^"');
  expect(quoteForCmd('say "hi"', false)).toBe('^"say^ \\^"hi\\^"^"');
  expect(quoteForCmd('100%', false)).toBe('^"100^%^"');
});
