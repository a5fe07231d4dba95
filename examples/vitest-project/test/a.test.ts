import { serverSuite } from './suite.js';

serverSuite('a');
