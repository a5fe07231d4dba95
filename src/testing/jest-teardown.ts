/**
 * `portlease/jest/teardown`: a ready-made jest globalTeardown, so the config can name the
 * package directly: `globalTeardown: 'portlease/jest/teardown'`.
 */
import { teardownPorts } from './jest-setup.js';

export default teardownPorts;
export { teardownPorts };
