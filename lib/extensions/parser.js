'use strict';
// @ts-check

// websocket-extensions 0.2.0's parser.js: the Sec-WebSocket-Extensions
// header, parsed natively, and its serialisation.

const native = require('../binding');

const NOTOKEN = /([^!#$%&'*+\-.^_`|~0-9A-Za-z])/g;

const hasOwn = Object.prototype.hasOwnProperty;

// websocket-extensions' Parser.parseHeader on the native parser
// (src/extension_header.rs), which takes linear time on hostile headers:
// [{name, params}] in header order, a repeated key becoming an array as in
// faye; throws faye's SyntaxError.
function parseHeader(header) {
  if (header === '' || header === undefined || header === null) return [];
  const offers = native.parseExtensionHeader(header);
  if (offers === null) throw new SyntaxError('Invalid Sec-WebSocket-Extensions header: ' + header);
  return offers.map(({ name, params }) => {
    const offer = {};
    for (const { key, value } of params) {
      if (hasOwn.call(offer, key)) {
        offer[key] = [].concat(offer[key]);
        offer[key].push(value);
      } else {
        offer[key] = value;
      }
    }
    return { name, params: offer };
  });
}

function serializeParams(name, params) {
  const values = [];
  const print = (key, value) => {
    if (value instanceof Array) {
      value.forEach((v) => print(key, v));
    } else if (value === true) {
      values.push(key);
    } else if (typeof value === 'number') {
      values.push(key + '=' + value);
    } else if (NOTOKEN.test(value)) {
      values.push(key + '="' + value.replace(/"/g, '\\"') + '"');
    } else {
      values.push(key + '=' + value);
    }
  };
  for (const key in params) print(key, params[key]);
  return [name].concat(values).join('; ');
}

module.exports = { parseHeader, serializeParams };
