'use strict';
// @ts-check

// Option and extension checks, with faye's (websocket-driver's and
// websocket-extensions') exact error types and messages.

const WEBSOCKET_OPTIONS = [
  'headers',
  'extensions',
  'maxLength',
  'ping',
  'proxy',
  'tls',
  'ca',
  'heartbeat',
  'maxBufferedAmount',
];

function positiveMilliseconds(value, name) {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new TypeError('The "' + name + '" option must be a positive number of milliseconds');
  }
  return value;
}

// Ours: `heartbeat: { interval, timeout }` in milliseconds, or absent.
function heartbeatOption(value) {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object') throw new TypeError('The "heartbeat" option must be an object; got ' + typeof value);
  return {
    interval: positiveMilliseconds(value.interval, 'heartbeat.interval'),
    timeout: positiveMilliseconds(value.timeout, 'heartbeat.timeout'),
  };
}

// Ours: a cap on `bufferedAmount` in bytes; 0 or absent means none (faye's
// behaviour: everything is kept).
function maxBufferedAmountOption(value) {
  if (value === undefined || value === null) return 0;
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw new TypeError('The "maxBufferedAmount" option must be a non-negative number of bytes');
  }
  return value;
}

// The server's, with two of ours: `allowDrafts` (websocket-driver's name,
// which faye does not pass on) and `handshakeTimeout` (lib/draft.js).
const SERVER_OPTIONS = WEBSOCKET_OPTIONS.concat(['allowDrafts', 'handshakeTimeout']);

// What both sides' `handshakeTimeout` gives up with.
const HANDSHAKE_TIMEOUT_MESSAGE = 'Opening handshake has timed out';

// Throws for the first own or inherited enumerable key not in validKeys.
function validateOptions(options, validKeys) {
  for (const key in options || {}) {
    if (validKeys.indexOf(key) < 0) throw new Error('Unrecognized option: ' + key);
  }
}

// websocket-extensions' Extensions#add checks, in its order.
function validateExtensions(extensions) {
  const names = new Set();
  for (const ext of [].concat(extensions)) {
    if (typeof ext.name !== 'string') throw new TypeError('extension.name must be a string');
    if (ext.type !== 'permessage') throw new TypeError('extension.type must be "permessage"');
    for (const bit of ['rsv1', 'rsv2', 'rsv3']) {
      if (typeof ext[bit] !== 'boolean') throw new TypeError(`extension.${bit} must be true or false`);
    }
    if (names.has(ext.name)) {
      throw new TypeError('An extension with name "' + ext.name + '" is already registered');
    }
    names.add(ext.name);
  }
}

// `handshakeTimeout`: milliseconds, 0 for none; `fallback` when not given.
function handshakeTimeoutOption(value, fallback) {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
    throw new TypeError('The "handshakeTimeout" option must be a non-negative number of milliseconds');
  }
  return value;
}

module.exports = {
  WEBSOCKET_OPTIONS,
  SERVER_OPTIONS,
  HANDSHAKE_TIMEOUT_MESSAGE,
  validateOptions,
  validateExtensions,
  handshakeTimeoutOption,
  heartbeatOption,
  maxBufferedAmountOption,
};
