import { serverSuite } from './suite.js';

serverSuite('b');
