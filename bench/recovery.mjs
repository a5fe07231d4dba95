/**
 * Recovery after a SIGKILL: a child reserves and releases in a tight loop and is killed
 * at a random moment, often while it holds the registry lock. We time the next reserve()
 * from another process, by what the kill left behind:
 *   - "dead holder recorded": lock dir + holder record naming the dead pid → taken over at once;
 *   - "holder unknown": lock dir without a record (killed between mkdir and the record) →
 *     taken over after the stale time;
 *   - "no lock left": the kill landed outside the lock.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? NaN : sorted[Math.floor((sorted.length - 1) / 2)];
};

export async function run(ctx) {
  const { openRegistry } = await import(`${ctx.dist}/index.js`);
  const loop = join(ctx.home, 'loop.mjs');
  writeFileSync(
    loop,
    `import { openRegistry } from ${JSON.stringify(`${ctx.dist}/index.js`)};
const registry = openRegistry({ home: process.argv[2] });
for (let i = 0; ; i++) { const lease = await registry.reserve({ label: 'loop' }); if (i === 0) console.log('READY'); await lease.release(); }
`,
  );
  const kills = ctx.quick ? 6 : 30;
  const byCase = new Map();
  for (let i = 0; i < kills; i++) {
    const home = mkdtempSync(join(ctx.home, 'kill-'));
    const child = spawn(process.execPath, [loop, home], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => child.stdout.once('data', resolve));
    await new Promise((resolve) => setTimeout(resolve, 20 + Math.random() * 200));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('close', resolve));
    const lockLeft = existsSync(join(home, 'registry.lock'));
    const kind = !lockLeft ? 'no lock left' : existsSync(join(home, 'registry.lock.owner')) ? 'dead holder recorded' : 'holder unknown';
    const registry = openRegistry({ home });
    const started = performance.now();
    await (await registry.reserve({ label: 'after' })).release();
    const ms = performance.now() - started;
    if (!byCase.has(kind)) byCase.set(kind, []);
    byCase.get(kind).push(ms);
    rmSync(home, { recursive: true, force: true });
  }
  // The same measurement with the default stale time and an unknown holder, made on purpose.
  const home = mkdtempSync(join(ctx.home, 'unknown-'));
  const registry = openRegistry({ home });
  await (await registry.reserve({ label: 'seed' })).release();
  const { mkdirSync } = await import('node:fs');
  mkdirSync(join(home, 'registry.lock'));
  const started = performance.now();
  await (await registry.reserve({ label: 'after' })).release();
  const unknownMs = performance.now() - started;

  const rows = [...byCase].map(([kind, values]) => `| ${kind} | ${values.length} | ${median(values).toFixed(1)} | ${Math.max(...values).toFixed(1)} |`);
  return [
    '## Recovery after SIGKILL',
    '',
    `${kills} children reserving/releasing in a loop were SIGKILLed at random moments; then one reserve+release from this process was timed. Default lock timings (stale 10 s).`,
    '',
    '| what the kill left | runs | median ms | max ms |',
    '| --- | ---: | ---: | ---: |',
    ...rows,
    '',
    `A lock directory with no holder record (made on purpose): taken over after **${(unknownMs / 1000).toFixed(2)} s** (a lock left without a holder record for 2 s is taken over; the stale time, for a holder that is alive but silent, is 10 s).`,
    '',
    'Target: fast when the holder is provably dead, never longer than the stale time. "holder unknown": killed between the mkdir and its holder record.',
  ].join('\n');
}
