const { serverSuite } = require('./suite.cjs');

serverSuite('c');
