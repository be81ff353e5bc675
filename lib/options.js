'use strict';
// @ts-check

// Option and extension checks, with faye's (websocket-driver's and
// websocket-extensions') exact error types and messages.

const WEBSOCKET_OPTIONS = ['headers', 'extensions', 'maxLength', 'ping', 'proxy', 'tls', 'ca'];

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

module.exports = { WEBSOCKET_OPTIONS, validateOptions, validateExtensions };
