/**
 * `portlease serve`: the port-registry `/v1` HTTP API over the registry, in the foreground
 * until a signal, or in the background with `--detach` (managed by `--stop` / `--status`).
 */
import { isLoopbackHost } from '../../http/guard.js';
import { DEFAULT_SERVE_HOST, DEFAULT_SERVE_PORT, serve } from '../../http/server.js';
import { serverStatus, startDetached, stopServer } from '../background-server.js';
import { type PidInfo, removePidFile, writePidFile } from '../pid-file.js';
import type { Command, Io } from '../command.js';
import { parseFlags, parseInteger, UsageError } from '../args.js';
import { formatJson } from '../output.js';
import { reportFailure } from '../failure.js';
import { openRegistry } from '../../api.js';
import { checkHome } from '../targets.js';
import { parseDuration } from '../../validate.js';
import { SUMMARIES } from '../summaries.js';

const FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  detach: { type: 'boolean' },
  stop: { type: 'boolean' },
  status: { type: 'boolean' },
  'response-timeout': { type: 'string' },
} as const;

/** `portlease serve`. */
export const command: Command = {
  name: 'serve',
  summary: SUMMARIES.serve,
  help: `Usage: portlease serve [--port 51234] [--host 127.0.0.1] [--response-timeout 2m] [--json] [--home DIR]
       portlease serve --detach [--port 51234] [--host 127.0.0.1] [--response-timeout 2m]
       portlease serve --stop | --status

Serves the port-registry /v1 API (POST/GET/DELETE /v1/allocations, GET /v1/ports/{port},
GET /healthz) over the portlease registry, so that port-registry's portctl, its agent skill
and any HTTP client share ports with the library and the CLI. An allocation is a durable
named lease; its id is the lease id.

The same server answers named URLs: http://<service>.<app>.localhost:51234 (also
<service>.<instance>.<app>.localhost, and <service>.localhost for a unique name) reaches
that live lease's port through a reverse proxy (HTTP/1.1, WebSockets, path prefixes set
with reserve/run --path on http://<app>.localhost:51234). http://localhost:51234/ lists them.
It listens on [::1] too when --host is 127.0.0.1 or localhost.

Runs in the foreground until Ctrl-C. --detach starts it in the background (pid file
serve.pid and log serve.log in the registry directory); --stop and --status manage it.

Loopback only by default. The server refuses requests whose Host is not 127.0.0.1, localhost
or [::1] with its port, requests from web pages of other sites, POST bodies that are not
application/json, and bodies over 64 KiB. It has no authentication: every local user can
reach 127.0.0.1.

Options:
  --port N      port to listen on (default 51234, port-registry's; 0 lets the OS choose)
  --host ADDR   address to listen on (default 127.0.0.1; anything else exposes the registry)
  --response-timeout D
                how long a named URL's backend has to begin its response before the
                client gets a 504 page (default 2m; 500ms, 30s, 15m…). A response that
                has begun, and a WebSocket, run as long as they take
  --detach      start in the background and return once it answers
  --stop        stop the background server (SIGTERM)
  --status      tell whether the background server runs (a stale pid file is removed)
  --json        print one JSON document
  --home DIR    registry directory (default: $PORTLEASE_HOME, else ~/.portlease)

Examples:
  npx portlease serve --detach
  curl -s 127.0.0.1:51234/v1/allocations
  PORT_REGISTRY_ADDR=127.0.0.1:51234 portctl allocate --service db

Exit codes: 0 ok (--status: running), 1 failure (--status: not running), 2 usage.
`,
  async run(argv, io) {
    const { flags } = parseFlags(argv, FLAGS);
    const modes = [flags.detach, flags.stop, flags.status].filter((flag) => flag === true).length;
    if (modes > 1) throw new UsageError('Give only one of --detach, --stop and --status');
    if ((flags.stop === true || flags.status === true) && (flags.port !== undefined || flags.host !== undefined || flags['response-timeout'] !== undefined)) {
      throw new UsageError('--stop and --status take no --port, --host or --response-timeout: the pid file says where the server runs');
    }
    const timeout = flags['response-timeout'];
    const responseTimeout = timeout === undefined ? undefined : parseDuration(timeout, '--response-timeout');
    const port = flags.port === undefined ? DEFAULT_SERVE_PORT : parseInteger('--port', flags.port, 0, 65_535);
    const host = flags.host ?? DEFAULT_SERVE_HOST;
    if (host.trim() === '') throw new UsageError('--host needs an address');
    const json = flags.json === true;
    const registry = openRegistry({ home: flags.home, env: io.env, cwd: io.cwd });
    const dir = registry.home;

    if (flags.status === true) return status(dir, io, json);
    if (flags.stop === true) return stop(dir, io, json);
    // The pid file and log live in the home: a home that cannot hold them fails here, typed.
    await checkHome(registry);
    if (!isLoopbackHost(host)) {
      io.stderr.write(`portlease: warning: listening on ${host} exposes the registry to other machines; it has no authentication.\n`);
    }
    if (flags.detach === true) return detach(dir, { port, host, responseTimeout }, io, json);
    return foreground(dir, { port, host, responseTimeout }, io, json);
  },
};

/** Where and how the server listens. */
interface Listen {
  port: number;
  host: string;
  responseTimeout: number | undefined;
}

async function foreground(dir: string, { port, host, responseTimeout }: Listen, io: Io, json: boolean): Promise<number> {
  const current = await serverStatus(dir);
  if (current.state === 'running') return alreadyRunning(current.info, io, json);

  const server = await serve({
    port,
    host,
    home: dir,
    env: io.env,
    ...(responseTimeout === undefined ? {} : { responseTimeout }),
    onError: (error) => io.stderr.write(`portlease serve: ${error instanceof Error ? error.message : String(error)}\n`),
  });
  const info: PidInfo = { pid: process.pid, port: server.port, host: server.host, url: server.url, startedAt: new Date().toISOString() };
  try {
    await writePidFile(dir, info);
    io.stdout.write(json ? formatJson({ state: 'running', ...info, home: dir }) : `${server.url}\n`);
    io.stderr.write(`portlease serve: port-registry /v1 API for ${dir} on ${server.url}, dashboard at ${server.url}/ (pid ${process.pid}); Ctrl-C stops it.\n`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      const unsubscribe = io.signals?.((received) => {
        unsubscribe?.();
        resolve(received);
      });
    });
    io.stderr.write(`portlease serve: ${signal}, stopping.\n`);
  } finally {
    await server.close();
    await removePidFile(dir, process.pid);
  }
  return 0;
}

async function detach(dir: string, { port, host, responseTimeout }: Listen, io: Io, json: boolean): Promise<number> {
  const result = await startDetached({ dir, port, host, responseTimeout, env: io.env, cwd: io.cwd });
  if (result.ok) {
    const { info } = result;
    io.stdout.write(
      json ? formatJson({ state: 'running', ...info, log: result.log }) : `portlease serve running on ${info.url} (pid ${info.pid}); log: ${result.log}\n`,
    );
    return 0;
  }
  if (result.running) return alreadyRunning(result.running, io, json);
  return reportFailure(
    io,
    json,
    { code: 'E_SERVE_FAILED', message: `serve --detach failed: ${result.reason} (log: ${result.log})` },
    { state: 'failed', log: result.log },
  );
}

async function stop(dir: string, io: Io, json: boolean): Promise<number> {
  const result = await stopServer(dir);
  if (result.state === 'still running') {
    const message = `serve (pid ${result.info.pid}) did not stop within 5 s`;
    return reportFailure(io, json, { code: 'E_SERVE_FAILED', message }, { state: result.state, ...result.info });
  }
  if (result.state === 'not running') {
    const message = `serve is not running${staleNote(result.stale)}`;
    return reportFailure(io, json, { code: 'E_SERVE_NOT_RUNNING', message }, { state: result.state, staleRemoved: result.stale !== undefined });
  }
  io.stdout.write(json ? formatJson({ state: result.state, ...result.info }) : `stopped portlease serve (pid ${result.info.pid}) on ${result.info.url}\n`);
  return 0;
}

async function status(dir: string, io: Io, json: boolean): Promise<number> {
  const result = await serverStatus(dir);
  if (json) {
    if (result.state === 'running') io.stdout.write(formatJson({ state: 'running', healthy: result.healthy, ...result.info }));
    else io.stdout.write(formatJson({ state: 'not running', staleRemoved: result.state === 'stale' }));
  } else if (result.state === 'running') {
    const health = result.healthy ? 'healthy' : 'not answering /healthz';
    io.stdout.write(`running (pid ${result.info.pid}) on ${result.info.url}, ${health}\n`);
  } else {
    io.stdout.write(`not running${staleNote(result.state === 'stale' ? result.info : undefined)}\n`);
  }
  return result.state === 'running' ? 0 : 1;
}

function alreadyRunning(info: PidInfo, io: Io, json: boolean): number {
  const message = `serve is already running for this registry (pid ${info.pid}) on ${info.url}; stop it with \`portlease serve --stop\``;
  return reportFailure(io, json, { code: 'E_SERVE_RUNNING', message }, { state: 'running', started: false, ...info });
}

function staleNote(stale: PidInfo | null | undefined): string {
  if (stale === undefined) return '';
  return stale === null ? ' (removed an unreadable pid file)' : ` (removed the stale pid file of pid ${stale.pid})`;
}
