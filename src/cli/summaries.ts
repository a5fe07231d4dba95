/**
 * One line per command, for `portlease --help`: kept apart from the commands so that the
 * general help loads no command module (and no library code) at all.
 */
export const SUMMARIES = {
  check: 'Tell whether a port is free: registry holder, OS binding, listening process',
  doctor: 'Check the registry: path, permissions, lock, leases, ranges (exit 1 on problems)',
  env: 'Print <SERVICE>_PORT=… lines for services, or merge them into a .env file',
  free: 'Print OS-assigned free ports (not leased)',
  get: "Print the port of a service's live lease (exit 1 when none)",
  import: 'Register the ports a project hard-codes (compose, .env, package.json)',
  list: 'List live leases of the current app (--all: every lease, with its state)',
  prune: 'Remove leases of dead owners and expired ttls (--dry-run to preview)',
  release: 'Release leases by service, --id, --port or --app',
  reserve: 'Reserve a port for a service and print it (durable unless --ttl/--owner-pid)',
  run: 'Run a command with PORT / <SERVICE>_PORT set; release when it exits',
  serve: 'Serve the /v1 API and named URLs (http://web.shop.localhost:51234) on 127.0.0.1:51234',
  skill: 'Install the agent skill (Claude Code, Codex, …) for this project or user-wide',
} as const;
