import { serverSuite } from './suite.js';

serverSuite('c');
