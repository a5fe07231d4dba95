/**
 * portless's proxy for the proxy benchmark, sandboxed: its state in a temp directory
 * (PORTLESS_STATE_DIR and HOME), plain HTTP (`--no-tls`: no certificate authority, nothing
 * added to a trust store), no /etc/hosts sync, on a port the caller chose. Never run
 * `portless proxy start --help`: it does not print help, it hangs.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { stop, waitForPort } from './proxy-procs.mjs';

/**
 * Starts portless on `port` with an `alias` route `bench` → `backendPort`. Resolves with
 * the child and the Host to send, or throws why it cannot run here.
 */
export async function startPortless(root, tmp, port, backendPort) {
  // Its exports map names no entry a require can resolve: find the bin by path.
  const cli = join(root, 'node_modules', 'portless', 'dist', 'cli.js');
  if (!existsSync(cli)) throw new Error('portless is not installed (npm install)');
  const env = { ...process.env, HOME: tmp, PORTLESS_STATE_DIR: join(tmp, 'state'), PORTLESS_SYNC_HOSTS: '0' };
  const child = spawn(process.execPath, [cli, 'proxy', 'start', '--no-tls', '--port', String(port), '--foreground'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env,
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  try {
    await waitForPort(port);
    await new Promise((resolve, reject) =>
      execFile(process.execPath, [cli, 'alias', 'bench', String(backendPort)], { env, timeout: 20_000 }, (error, _out, err) =>
        error ? reject(new Error(`portless alias failed: ${err || error.message}`)) : resolve(),
      ),
    );
  } catch (error) {
    stop(child);
    throw new Error(`${error.message}${stderr ? ` (${stderr.trim().split('\n').pop()})` : ''}`);
  }
  return { child, host: `bench.localhost:${port}` };
}
