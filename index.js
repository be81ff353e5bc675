'use strict';
// @ts-check

// require('faye-websocket-native') has faye-websocket's shape: the server
// constructor, with the same properties in the same order.
const server = require('./lib/server');
const { validateOptions } = require('./lib/options');

// The constructor gains the module's properties below (index.d.ts declares
// the result for users).
const WebSocket = /** @type {typeof server.WebSocket & Record<string, unknown>} */ (server.WebSocket);
const { isWebSocket } = server;

WebSocket.isWebSocket = isWebSocket;
WebSocket.validateOptions = function (options, validKeys) {
  validateOptions(options, validKeys);
};
WebSocket.WebSocket = WebSocket;
WebSocket.Client = require('./lib/client');
WebSocket.EventSource = require('./lib/eventsource');
// Not enumerable, so Object.keys stays faye-websocket's list.
Object.defineProperty(WebSocket, 'deflate', {
  value: require('./lib/deflate').deflate,
  enumerable: false,
  writable: true,
  configurable: true,
});

module.exports = WebSocket;
