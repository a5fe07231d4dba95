#!/usr/bin/env node
/**
 * `npm run build` without its ~90 lines of output: printed only when the build fails, so
 * that `npm run example` shows the example's own story.
 */
import { spawnSync } from 'node:child_process';

const result = spawnSync('npm', ['run', '--silent', 'build'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
if (result.status !== 0) {
  process.stdout.write(result.stdout ?? '');
  process.stderr.write(result.stderr ?? '');
  process.stderr.write(`build failed (exit ${result.status ?? result.signal})\n`);
  process.exit(result.status ?? 1);
}
