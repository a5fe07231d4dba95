/**
 * The command table: name → lazy loader. Each command lives in its own module and is
 * imported only when typed, so `portlease --version` and `portlease reserve` load no more
 * than they need. The order here is the order of `portlease --help`. To add a command,
 * add one line: `name: () => import('./name.js'),`.
 */
import type { Command } from '../command.js';

/** Loads one command module. */
export type CommandLoader = () => Promise<{ command: Command }>;

/**
 * Every command, by the name typed on the command line.
 *
 * @example
 * const { command } = await commands.reserve!();
 */
export const commands: Record<string, CommandLoader> = {
  reserve: () => import('./reserve.js'),
  release: () => import('./release.js'),
  list: () => import('./list.js'),
  get: () => import('./get.js'),
  check: () => import('./check.js'),
  run: () => import('./run.js'),
  env: () => import('./env.js'),
  free: () => import('./free.js'),
  prune: () => import('./prune.js'),
  doctor: () => import('./doctor.js'),
  import: () => import('./import.js'),
  skill: () => import('./skill.js'),
  serve: () => import('./serve.js'),
};
