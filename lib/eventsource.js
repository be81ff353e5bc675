'use strict';

const { splitList, isWhitespace } = require('./split_list');

// The server-side EventSource lands with its own issue. isEventSource is
// faye's rule already; the constructor refuses to run rather than pretend.
function EventSource() {
  throw new Error('faye-websocket-native: WebSocket.EventSource is not yet implemented');
}

// A GET whose Accept list holds exactly `text/event-stream`.
EventSource.isEventSource = function isEventSource(request) {
  if (request.method !== 'GET') return false;
  const accept = splitList(request.headers.accept || '', isWhitespace);
  return accept.indexOf('text/event-stream') >= 0;
};

module.exports = EventSource;
