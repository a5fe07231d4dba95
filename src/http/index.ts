/**
 * `portlease/http`: the port-registry `/v1` HTTP API over the portlease registry.
 *
 * @example
 * import { serve } from 'portlease/http';
 * const server = await serve(); // http://127.0.0.1:51234
 * // … port-registry clients (PORT_REGISTRY_ADDR=127.0.0.1:51234) now share the registry
 * await server.close();
 */
export { serve, DEFAULT_SERVE_HOST, DEFAULT_SERVE_PORT, type PortleaseServer, type ServeOptions } from './server.js';
export type { Allocation } from './wire.js';
