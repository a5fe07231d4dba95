/**
 * `portlease skill install [--global]`: install the agent skill that teaches coding agents
 * to reserve ports with portlease instead of inventing them.
 */
import { homedir } from 'node:os';
import { relative, sep } from 'node:path';
import { installSkill, SKILL_PLATFORMS } from '../../skill/install.js';
import type { Command } from '../command.js';
import { parseFlags, UsageError } from '../args.js';
import { formatJson, styleFor } from '../output.js';
import { reportFailure } from '../failure.js';
import { SUMMARIES } from '../summaries.js';

const FLAGS = {
  global: { type: 'boolean', short: 'g' },
} as const;

/** `portlease skill`. */
export const command: Command = {
  name: 'skill',
  summary: SUMMARIES.skill,
  help: `Usage: portlease skill install [--global] [--json]

Installs an agent skill (SKILL.md and reference.md) that teaches coding agents to reserve
ports with \`npx portlease\` (reserve, run, env, import, check, release) instead of inventing
port numbers, to register only host-bound compose ports, and to release on teardown.

Without --global it goes to .claude/skills/portlease/ at the root of the current project
(its git repository, else the current folder). With --global it goes to
~/.claude/skills/portlease/, ~/.codex/skills/portlease/ and ~/.agents/skills/portlease/,
for each of ~/.claude, ~/.codex and ~/.agents that exists. Running it again rewrites only
what changed (after an upgrade of portlease) and says so.

Options:
  -g, --global   install user-wide for every agent platform found in your home directory
  --json         print {source, targets: [{platform, dir, files: [{path, status}]}], missing}

Examples:
  npx portlease skill install
  npx portlease skill install --global

Exit codes: 0 ok, 1 nothing to install into (--global with no platform found) or a file
failure, 2 usage.
`,
  async run(argv, io) {
    const { flags, positionals } = parseFlags(argv, FLAGS, { maxPositionals: 1 });
    const action = positionals[0];
    if (action === undefined) throw new UsageError('skill needs an action: portlease skill install [--global]');
    if (action !== 'install') throw new UsageError(`Unknown skill action '${action}' (the only one is 'install')`);
    const home = io.env.HOME || io.env.USERPROFILE || homedir();
    const result = await installSkill({ global: flags.global === true, cwd: io.cwd, home });

    if (result.targets.length === 0) {
      const folders = Object.values(SKILL_PLATFORMS)
        .map((folder) => `~/${folder}`)
        .join(', ');
      const message = `no agent platform found: none of ${folders} exists in ${home}. Nothing was written. Install into the current project instead: npx portlease skill install`;
      return reportFailure(io, flags.json === true, { code: 'E_NO_PLATFORM', message }, { ...result });
    }
    if (flags.json === true) {
      io.stdout.write(formatJson(result));
      return 0;
    }
    const style = styleFor(io.stdout, io.env);
    const show = (path: string): string => {
      if (flags.global !== true) return relative(io.cwd, path) || path;
      return path.startsWith(`${home}${sep}`) ? `~/${path.slice(home.length + 1)}` : path;
    };
    const lines: string[] = [];
    for (const target of result.targets) {
      for (const file of target.files) {
        const status = file.status === 'unchanged' ? style.dim('unchanged') : style.green(file.status);
        lines.push(`${status.padEnd(9 + status.length - file.status.length)}  ${show(file.path)}`);
      }
    }
    io.stdout.write(`${lines.join('\n')}\n`);
    for (const { platform, dir } of result.missing) {
      io.stderr.write(`skipped ${platform}: ${show(dir).replace(/\/skills\/portlease$/, '')} does not exist\n`);
    }
    return 0;
  },
};
