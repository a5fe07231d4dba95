/**
 * `portlease run [<service>…] -- <command…>`: reserves ports owned by this process, runs the
 * command with PORT and <SERVICE>_PORT set, forwards termination signals, releases when the
 * command exits and exits with its code. Named leases are sticky: the same URL every day.
 */
import { spawn, type StdioOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { basename } from 'node:path';
import { rm } from 'node:fs/promises';
import type { HeldLease, Registry, ReserveOptions } from '../../index.js';
import { probePort } from '../../probe.js';
import type { Command, Io, TextSink } from '../command.js';
import { namesOf, parseFlags, splitAtDashDash, UsageError } from '../args.js';
import { withListeners, whoListens } from '../holders.js';
import { portVariable, styleFor } from '../output.js';
import { errorReport, formatErrorLine } from '../failure.js';
import { openRegistry } from '../../api.js';
import { checkHome, checkWriteTarget, writeTarget } from '../targets.js';
import { currentPlatform } from '../../platform/index.js';
import { resolveCommand } from '../win-command.js';
import { SUMMARIES } from '../summaries.js';
import { urlOf } from '../../url.js';
import { urlPort } from '../urls.js';

const FLAGS = {
  'port-file': { type: 'string' },
  range: { type: 'string' },
  app: { type: 'string' },
  instance: { type: 'string' },
  path: { type: 'string' },
  'strip-path': { type: 'boolean' },
} as const;

/** `portlease run`. */
export const command: Command = {
  name: 'run',
  summary: SUMMARIES.run,
  help: `Usage: portlease run [<service>…] [--port-file F] [--range A-B] [--app A] [--instance I]
                     [--path /api [--strip-path]] [--home DIR] -- <command> [args…]

Reserves a port for each service (owned by this process, sticky: the same port as last
time whenever it is free), runs <command> with PORT set to the first port and
<SERVICE>_PORT to each (upper case, accents dropped, each run of other characters one _:
api-gw → API_GW_PORT, feature/login → FEATURE_LOGIN_PORT), forwards
SIGINT, SIGTERM and SIGHUP to it (not Ctrl-C in a terminal, which reaches it directly),
releases the ports when it exits and exits with its code. A port that something the
command left behind (a daemonised child) still listens on is not released: its lease stays
until the port is free, and run says so on stderr.
Without a service, an anonymous port is reserved for PORT alone.

Each service's named URL is printed on stderr (web → http://web.shop.localhost:51234
(port 22226)); it answers while \`portlease serve\` runs. The command gets
__VITE_ADDITIONAL_SERVER_ALLOWED_HOSTS=.localhost so that Vite accepts the proxied Host
(other dev servers: see the README's Named URLs section).

A second \`run\` of the same service while the first is alive fails at once and names the
holder. A service that already has a durable or ttl lease (\`portlease reserve\`, \`env\`)
runs on that lease's port, and keeps the lease afterwards. If portlease itself is killed
with SIGKILL, the next writer reclaims its leases.

Options:
  --port-file F  also write the first port to file F (removed on exit)
  --range A-B    choose from this range (default: $PORTLEASE_RANGE, else 20000-29999)
  --app A        app (default: $PORTLEASE_APP, the git repository's name, the folder)
  --instance I   instance (default: $PORTLEASE_INSTANCE, the worktree's folder, 'default')
  --path /api    route prefix of the (one) service on the app's named URL
  --strip-path   forward without the prefix (/api/x arrives as /x); needs --path
  --home DIR     registry directory (default: $PORTLEASE_HOME, else ~/.portlease)

Examples:
  npx portlease run web -- next dev
  npx portlease run api worker -- node server.js      # PORT, API_PORT, WORKER_PORT
  npx portlease run web -- sh -c 'vite --port "$PORT"'   # a shell expands $PORT

Exit codes: the command's own code (128+n when it died of signal n), 127 when it cannot be
found, 126 when it cannot be run, 1 when no port could be reserved, 2 usage.
`,
  async run(argv, io) {
    const { head, rest } = splitAtDashDash(argv);
    const { flags, positionals: services } = parseFlags(head, FLAGS, { maxPositionals: Number.POSITIVE_INFINITY });
    // Its stdout is the command's: there is no document of run's own to print.
    if (flags.json === true) throw new UsageError("--json does not apply to run: its output is the command's own");
    if (rest === undefined || rest.length === 0) {
      throw new UsageError('run needs a command after `--`, e.g. `portlease run web -- npm start`');
    }
    const duplicate = services.find((service, index) => services.indexOf(service) !== index);
    if (duplicate !== undefined) throw new UsageError(`Service '${duplicate}' is given twice`);
    const variables = services.map(portVariable);
    const clash = variables.find((name, index) => variables.indexOf(name) !== index);
    if (clash !== undefined) throw new UsageError(`Two services map to the same variable ${clash}`);
    if (flags['strip-path'] === true && flags.path === undefined) throw new UsageError('--strip-path needs --path');
    if (flags.path !== undefined && services.length !== 1) throw new UsageError("--path needs exactly one service: it is that service's route prefix");
    const [file, ...args] = rest as [string, ...string[]];
    if (file.trim() === '') throw new UsageError('run needs a command after `--`, got an empty string');

    // Everything that can be checked is checked before a lease is made.
    const portFile = flags['port-file'] === undefined ? undefined : await checkWriteTarget('--port-file', flags['port-file'], io.cwd);
    const options: ReserveOptions = namesOf(flags);
    if (flags.range !== undefined) options.range = flags.range;
    const registry = await checkHome(openRegistry({ home: flags.home, env: io.env, cwd: io.cwd }));

    const named: ReserveOptions = { ...options };
    if (flags.path !== undefined) named.path = flags.path;
    if (flags['strip-path'] === true) named.stripPath = true;
    const leases: HeldLease[] = [];
    try {
      // One transaction for all the services: all or nothing.
      if (services.length === 0) leases.push(await registry.reserve({ ...options, label: basename(file) }));
      else leases.push(...(await registry.reserveAll(services, named)));
    } catch (error) {
      await releaseAll(
        registry,
        leases.filter((lease) => lease.owner !== null),
        io,
      );
      throw await withListeners(error);
    }

    try {
      if (portFile !== undefined) await writeTarget('--port-file', portFile, `${leases[0]?.port}\n`);
      const env: Record<string, string | undefined> = { ...io.env, PORT: String(leases[0]?.port) };
      services.forEach((service, index) => {
        env[portVariable(service)] = String(leases[index]?.port);
      });
      // The command (and any `portlease` it runs) sees the same registry.
      env.PORTLEASE_HOME = registry.home;
      env.__VITE_ADDITIONAL_SERVER_ALLOWED_HOSTS = withLocalhost(env.__VITE_ADDITIONAL_SERVER_ALLOWED_HOSTS);
      await describeLeases(leases, registry.home, io);
      return await runChild(file, args, env, io);
    } finally {
      if (portFile !== undefined) await rm(portFile, { force: true }).catch(() => {});
      // Only what this run created: a durable or ttl lease that already existed (from
      // `portlease reserve` or `env --write`) was lent to us and stays. And not a port the
      // command left something listening on (a daemonised grandchild): its lease stays as
      // a dead owner's lease, kept while the port is bound and reclaimed once it is free,
      // so that the next `run` does not hand the name a new port.
      const owned = leases.filter((lease) => lease.owner !== null);
      const stillBound = await leftListening(owned);
      for (const lease of stillBound) await reportLeftBehind(lease, io);
      await releaseAll(
        registry,
        owned.filter((lease) => !stillBound.includes(lease)),
        io,
      );
    }
  },
};

/**
 * Vite refuses a Host it does not know (DNS-rebinding protection): `.localhost` admits
 * every named URL. An allowlist the user set already is kept and extended.
 */
function withLocalhost(existing: string | undefined): string {
  if (existing === undefined || existing.trim() === '') return '.localhost';
  return existing.split(',').some((host) => host.trim() === '.localhost') ? existing : `${existing},.localhost`;
}

/**
 * Says on stderr where each service answers: `web → http://web.shop.localhost:51234 (port 22226)`.
 * Always for named URLs (they are what a person opens); the bare ports only on a terminal.
 */
async function describeLeases(leases: readonly HeldLease[], home: string, io: Io): Promise<void> {
  const style = styleFor(io.stderr, io.env);
  const port = await urlPort(home);
  const lines: string[] = [];
  for (const lease of leases) {
    const url = urlOf(lease, { port });
    if (url !== undefined) lines.push(`${lease.service} → ${url} (port ${lease.port})`);
  }
  if (lines.length > 0) io.stderr.write(lines.map((line) => `${style.dim('portlease:')} ${line}\n`).join(''));
  else if (io.stderr.isTTY === true) {
    const described = leases.map((lease) => `${lease.service ?? 'PORT'}=${lease.port}`).join(' ');
    io.stderr.write(style.dim(`portlease: ${described}\n`));
  }
}

/** The leases whose port something still listens on after the command exited. */
async function leftListening(leases: readonly HeldLease[]): Promise<HeldLease[]> {
  const bound: HeldLease[] = [];
  for (const lease of leases) if (!(await probePort(lease.port)).free) bound.push(lease);
  return bound;
}

async function reportLeftBehind(lease: HeldLease, io: Io): Promise<void> {
  const who = (await whoListens(lease.port)) ?? 'a process the command left behind';
  const style = styleFor(io.stderr, io.env);
  io.stderr.write(
    `${style.yellow('portlease:')} ${lease.service ?? 'PORT'} keeps port ${lease.port}: the command exited, but ${who} still listens there. ` +
      'The lease stays until the port is free (stop that process to free it).\n',
  );
}

/** Where the child's output goes: straight to our fd when the sink has one, else piped through. */
function stdioFor(sink: TextSink): number | 'pipe' {
  const fd = (sink as { fd?: unknown }).fd;
  return typeof fd === 'number' ? fd : 'pipe';
}

async function runChild(file: string, args: string[], env: Record<string, string | undefined>, io: Io): Promise<number> {
  const stdio: StdioOptions = ['inherit', stdioFor(io.stdout), stdioFor(io.stderr)];
  // On Windows: PATHEXT shims (npx.cmd, node_modules\.bin\*.cmd) through cmd.exe.
  const command = resolveCommand(file, args, { os: process.platform, env, cwd: io.cwd, exists: existsSync });
  const child = spawn(command.file, command.args, { cwd: io.cwd, env, stdio, windowsVerbatimArguments: command.verbatim });
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => io.stdout.write(chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => io.stderr.write(chunk));
  // Forward, never swallow: the child decides how to stop; we wait for it and clean up.
  // Except Ctrl-C in a terminal: the child got that SIGINT already, and a second one makes
  // tools such as `docker compose up` skip their graceful stop.
  const unsubscribe = io.signals?.((signal) => {
    if (signal === 'SIGINT' && io.terminal === true) return;
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) currentPlatform().terminate(child.pid, signal);
  });
  try {
    return await new Promise<number>((resolvePromise) => {
      child.once('error', (error: NodeJS.ErrnoException) => {
        const code = error.code === 'ENOENT' ? 127 : 126;
        const why = error.code === 'ENOENT' ? 'not found' : (error.code ?? error.message);
        io.stderr.write(
          formatErrorLine(
            { code: 'E_SPAWN', message: `Cannot run '${file}' (${why})` },
            styleFor(io.stderr, io.env),
            code === 127 ? 'Check the command name and PATH.' : 'Check that it is executable.',
          ),
        );
        resolvePromise(code);
      });
      child.once('close', (code, signal) => {
        resolvePromise(code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0)));
      });
    });
  } finally {
    unsubscribe?.();
  }
}

async function releaseAll(registry: Registry, leases: readonly HeldLease[], io: Io): Promise<void> {
  if (leases.length === 0) return;
  try {
    await registry.release(leases); // one transaction for all
  } catch (error) {
    // The child's exit code matters more; a lease left behind is reclaimed once we are gone.
    io.stderr.write(formatErrorLine(errorReport(error), styleFor(io.stderr, io.env), 'It is reclaimed once this process exits.'));
  }
}
