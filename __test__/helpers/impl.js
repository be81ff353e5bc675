'use strict';
// The one place every suite takes the implementation under test from.
// Default: the package root (faye-websocket-native). Run the suites against
// the original with `IMPL=faye-websocket node --test __test__/<group>/<file>`.
const path = require('path');

const spec = process.env.IMPL || path.join(__dirname, '..', '..');
const impl = require(spec);
const faye = require('faye-websocket');

// true when the implementation under test IS the original npm package; used
// only to guard assertions about our deliberate improvements over faye.
const isOriginal = impl === faye;

module.exports = { impl, faye, isOriginal, implName: isOriginal ? 'faye-websocket' : spec };
