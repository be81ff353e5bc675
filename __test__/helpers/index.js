'use strict';
module.exports = {
  ...require('./impl'),
  ...require('./server'),
  ...require('./recorder'),
  ...require('./raw'),
  ...require('./scenario'),
  ...require('./pair'),
  F: require('./frames'),
};
