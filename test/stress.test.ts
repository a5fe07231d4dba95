import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FIXTURES, registryData, startNode, tempHome } from './helpers.js';

interface AuditLine {
  rev: number;
  pid: number;
  granted: Array<[number, number]>;
  released: Array<[number, number]>;
}

/**
 * Replays the audit log (one line per committed write, in commit order) and fails on any
 * moment where two live leases share a port. Returns the live id → port map at the end.
 */
function replay(lines: AuditLine[]): Map<number, number> {
  const live = new Map<number, number>();
  let rev = lines[0]?.rev ?? 0;
  for (const line of lines) {
    expect(line.rev, 'revisions are contiguous').toBe(rev);
    rev += 1;
    for (const [id, port] of line.released) {
      expect(live.get(id), `lease ${id} released while live`).toBe(port);
      live.delete(id);
    }
    for (const [id, port] of line.granted) {
      const holders = [...live].filter(([, held]) => held === port);
      expect(holders, `port ${port} granted to lease ${id} while held by ${JSON.stringify(holders)}`).toEqual([]);
      expect(live.has(id), `id ${id} reused`).toBe(false);
      live.set(id, port);
    }
  }
  return live;
}

async function churn(processes: number, ops: number, env: Record<string, string> = {}) {
  const home = tempHome();
  const log = `${home}/audit.log`;
  const children = Array.from({ length: processes }, (_, index) =>
    startNode(`${FIXTURES}/churn.mjs`, [home, String(index), String(ops)], { PORTLEASE_AUDIT_LOG: log, ...env }),
  );
  const results = await Promise.all(children.map((child) => child.done));
  const reports = results.map((result) => {
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as { granted: number; unbindable: number; errors: string[] };
  });
  const lines = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as AuditLine);
  const live = replay(lines);
  const final = registryData(home);
  expect(final.rev).toBe(lines.at(-1)!.rev);
  expect(new Map(final.leases.map((lease) => [lease.id, lease.port]))).toEqual(live);
  return { reports, lines };
}

describe('many processes at once (tagged: stress)', () => {
  it.each([2, 4])('%i processes × 50 operations: no port is ever held twice', async (processes) => {
    const { reports } = await churn(processes, 50);
    expect(reports.flatMap((report) => report.errors)).toEqual([]);
    expect(reports.reduce((sum, report) => sum + report.unbindable, 0)).toBe(0);
  });

  it('8 processes × 50 operations with NODE_ENV=test: no port is ever held twice, every grant was bindable', async () => {
    const { reports, lines } = await churn(8, 50, { NODE_ENV: 'test' });
    expect(reports.flatMap((report) => report.errors)).toEqual([]);
    expect(reports.reduce((sum, report) => sum + report.unbindable, 0)).toBe(0);
    const granted = reports.reduce((sum, report) => sum + report.granted, 0);
    expect(granted).toBeGreaterThan(8 * 50 * 0.5);
    // Every worker wrote, and the ttl leases that expired were reclaimed by someone.
    expect(new Set(lines.map((line) => line.pid)).size).toBe(8);
  });
});

describe('the history checker', () => {
  it('catches a port granted while still held, and a gap in revisions', () => {
    expect(() =>
      replay([
        { rev: 1, pid: 1, granted: [[1, 20001]], released: [] },
        { rev: 2, pid: 2, granted: [[2, 20001]], released: [] },
      ]),
    ).toThrow(/port 20001 granted to lease 2/);
    expect(() =>
      replay([
        { rev: 1, pid: 1, granted: [[1, 20001]], released: [] },
        { rev: 3, pid: 2, granted: [], released: [[1, 20001]] },
      ]),
    ).toThrow(/contiguous/);
  });
});
