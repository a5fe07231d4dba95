/**
 * `portlease doctor`: everything worth knowing about the registry in one screen, and exit 1
 * when something is wrong (permissions, lock held too long, corrupt file, a range that
 * overlaps the OS's ephemeral ports).
 */
import { stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { RegistryReport } from '../../index.js';
import { DEFAULT_RANGE } from '../../defaults.js';
import { parseRange } from '../../validate.js';
import type { Command } from '../command.js';
import { parseFlags } from '../args.js';
import { openRegistry } from '../../api.js';
import { ephemeralRange } from '../ephemeral.js';
import { platformFacts, type PlatformFacts } from '../platform-facts.js';
import { describeLease, formatJson, formatSpan, styleFor } from '../output.js';
import { SUMMARIES } from '../summaries.js';

/** `portlease doctor`. */
export const command: Command = {
  name: 'doctor',
  summary: SUMMARIES.doctor,
  help: `Usage: portlease doctor [--json] [--home DIR]

Shows the registry file and its permissions, the lock (and who holds it), lease counts,
dead or expired leases waiting to be pruned, the port range in use, the OS's ephemeral
and reserved ranges, how owners are checked on this OS (and what is weaker here), and
lists anything wrong. Reads only: it changes nothing.

Options:
  --json       print the report as JSON (with "problems" and "ok")
  --home DIR   registry directory (default: $PORTLEASE_HOME, else ~/.portlease)

Exit codes: 0 healthy, 1 something is wrong (listed under "problems"), 2 usage.
`,
  async run(argv, io) {
    const { flags } = parseFlags(argv, {});
    const report = await openRegistry({ home: flags.home, env: io.env, cwd: io.cwd }).inspect();
    const ephemeral = await ephemeralRange();
    const rangeText = io.env.PORTLEASE_RANGE || undefined;
    const problems = [...report.problems];
    let range: readonly [number, number] = DEFAULT_RANGE;
    let rangeSource = 'default';
    if (rangeText !== undefined) {
      try {
        range = parseRange(rangeText);
        rangeSource = 'PORTLEASE_RANGE';
      } catch (error) {
        problems.push(`PORTLEASE_RANGE=${rangeText} is invalid (${error instanceof Error ? error.message : String(error)}); the default is used`);
      }
    }
    const platform = platformFacts();
    const covered = Math.min(range[1], ephemeral.to) - Math.max(range[0], ephemeral.from) + 1;
    // The default range's ephemeral ports are skipped when allocating (choose.ts) unless that leaves none.
    if (covered > 0 && (rangeSource !== 'default' || covered === range[1] - range[0] + 1)) {
      problems.push(
        `The port range ${range[0]}-${range[1]} overlaps the OS's ephemeral range ${ephemeral.from}-${ephemeral.to}: outgoing connections may take its ports at any time`,
      );
    }
    const ok = problems.length === 0;

    if (flags.json === true) {
      io.stdout.write(formatJson({ ...report, range: { from: range[0], to: range[1], source: rangeSource }, ephemeral, platform, problems, ok }));
      return ok ? 0 : 1;
    }
    const style = styleFor(io.stdout, io.env);
    const mode = (value: number | null) => (value === null ? '?' : `0${(value & 0o777).toString(8)}`);
    const host = hostname();
    const lines = [
      `registry   ${report.file}${await fileState(report)}`,
      `           dir ${mode(report.dirMode)}, file ${mode(report.fileMode)}, schema ${report.schema ?? '-'}, rev ${report.rev}`,
      `lock       ${report.lock.held ? `held${report.lock.holder === null ? '' : ` by pid ${report.lock.holder.pid}${report.lock.holder.local ? '' : ' (another machine, boot or container)'}`}${report.lock.ageMs === null ? '' : ` for ${formatSpan(report.lock.ageMs)}`}` : 'free'}${report.lock.waiting > 0 ? `, ${report.lock.waiting} process${report.lock.waiting === 1 ? '' : 'es'} queued for it` : ''}`,
      `leases     ${report.live.length} live, ${report.dead.length} dead, ${report.expired.length} expired (${report.leases} in the file)`,
      ...[...report.dead, ...report.expired].map((lease) => `           ${report.dead.includes(lease) ? 'dead   ' : 'expired'} ${describeLease(lease, host)}`),
      ...(report.dead.length + report.expired.length > 0 ? ['           (harmless: the next write or `portlease prune` removes them)'] : []),
      `range      ${range[0]}-${range[1]} (${rangeSource})`,
      `ephemeral  ${ephemeral.from}-${ephemeral.to} (${ephemeral.source})${covered > 0 && rangeSource === 'default' && problems.length === 0 ? ', skipped in the default range' : ''}`,
      ...platformLines(platform),
      ok ? `problems   ${style.green('none')}` : `problems   ${style.red(String(problems.length))}`,
      ...problems.map((problem) => `  - ${problem}`),
    ];
    io.stdout.write(`${lines.join('\n')}\n`);
    return ok ? 0 : 1;
  },
};

/** The platform facts as doctor lines. */
function platformLines(facts: PlatformFacts): string[] {
  return [
    `reserved   ${facts.reserved.length === 0 ? 'none' : facts.reserved.map((span) => (span.from === span.to ? String(span.from) : `${span.from}-${span.to}`)).join(', ')}${facts.reserved.length === 0 ? '' : ` (${facts.reserved[0]!.source}; never handed out)`}`,
    `platform   ${facts.name}: boot ${facts.boot.id ?? 'unknown'} (${facts.boot.source})`,
    `owners     ${facts.owners}`,
    ...facts.warnings.map((warning) => `  ! ${warning}`),
  ];
}

/**
 * What the registry line says after the path: nothing when it reads fine, "not created
 * yet" only when it really is absent from a usable home, "unreadable" otherwise.
 */
async function fileState(report: RegistryReport): Promise<string> {
  if (report.exists) return report.schema === null ? ' (unreadable)' : '';
  const home = await stat(report.home).catch((error: NodeJS.ErrnoException) => error);
  if (home instanceof Error) return home.code === 'ENOENT' ? ' (not created yet)' : ` (unreadable: ${home.code})`;
  return home.isDirectory() ? ' (not created yet)' : ' (unreadable: the home is not a folder)';
}
