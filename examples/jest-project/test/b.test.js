const { serverSuite } = require('./suite.cjs');

serverSuite('b');
