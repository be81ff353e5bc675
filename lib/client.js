'use strict';

// WebSocket.Client lands with its own issue (ws://, wss://, proxies). Until
// then it refuses to run rather than pretend to connect.
function Client() {
  throw new Error('faye-websocket-native: WebSocket.Client is not yet implemented');
}

module.exports = Client;
