'use strict';

// require('faye-websocket-native') has faye-websocket's shape: the server
// constructor, with the same properties in the same order.
const { WebSocket, isWebSocket } = require('./lib/server');
const { validateOptions } = require('./lib/options');

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
