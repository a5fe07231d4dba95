const { serverSuite } = require('./suite.cjs');

serverSuite('a');
