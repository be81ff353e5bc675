'use strict';
// @ts-check

// The server-side EventSource: faye's lib/faye/eventsource.js, writing the
// same bytes to the same socket, with these deliberate differences:
//
// * Events sent in one tick leave in one socket write, on process.nextTick,
//   or as soon as they fill the socket's high-water mark; close() writes what
//   is queued before ending the socket. All EventSources share one nextTick:
//   a fan-out that sends to a thousand clients schedules one callback, not a
//   thousand.
// * Backpressure works: send() returns false once the socket's buffer is
//   over its high-water mark (what queued events add counts), and 'drain'
//   follows when it has emptied and nothing is queued. Nothing is dropped:
//   every event is written, in order, whatever send() returned.
// * Nothing can inject lines: a CR or LF in a `headers` option name or value
//   throws from the constructor, and CR and LF are removed from `event` and
//   `id` values (see sanitizeField).
// * A socket that closes without 'end' or 'error' closes the EventSource at
//   once, rather than at the next failed ping.
//
// Formatting is plain JS: the result is a JS string written to a socket, and
// formatting an event costs less than one napi call with string arguments
// (bench/eventsource-format.js).

const { Stream } = require('stream');
const Event = require('./event');
const { mixEventTarget } = require('./event_target');
const native = require('./binding');
const { splitList, isWhitespace } = require('./split_list');
const { isSecureRequest, headerOption } = require('./request');
const { scheduleFlush } = require('./flush_queue');

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

const PING = ':\r\n\r\n';
const LINE_BREAK = /(\r\n|\r|\n)/g;
const CR_OR_LF = /[\r\n]/;
const CR_OR_LF_ALL = /[\r\n]/g;

// An `event` or `id` value, as faye writes it (`'' + value`, so the same
// conversion as its string concatenation), minus every CR and LF. faye writes
// the value as it is, so `id: '1\r\nevent: x'` or `event: 'a\n\ndata: b'`
// would add fields or whole events: an id taken from a request (a
// Last-Event-ID echoed back, say) could inject lines into the stream.
// Removing the line breaks keeps one field on one line; a value left empty is
// dropped, as faye drops empty values. Values without CR or LF, the usual
// case, give faye's bytes.
function sanitizeField(value) {
  const text = '' + value;
  return CR_OR_LF.test(text) ? text.replace(CR_OR_LF_ALL, '') : text;
}

// One event in faye's format: `[event: E\r\n][id: I\r\n]data: <msg>\r\n\r\n`,
// with `data: ` after every line break of the message (\r\n, \r or \n, each
// kept as it was).
function formatEvent(message, options) {
  const text = String(message);
  let frame = '';
  if (options) {
    if (options.event) {
      const event = sanitizeField(options.event);
      if (event) frame += 'event: ' + event + '\r\n';
    }
    if (options.id) {
      const id = sanitizeField(options.id);
      if (id) frame += 'id: ' + id + '\r\n';
    }
  }
  // faye's replace, skipped for the usual single-line message: two indexOf
  // scans cost far less than a regex pass over text that has no match.
  const data = text.indexOf('\n') === -1 && text.indexOf('\r') === -1 ? text : text.replace(LINE_BREAK, '$1data: ');
  return frame + 'data: ' + data + '\r\n\r\n';
}

function drainTick(source) {
  if (source.readyState <= OPEN) source.emit('drain');
}

function dispatch(target, type) {
  const event = new Event(type);
  event.initEvent(type, false, false);
  target.dispatchEvent(event);
}

class EventSource extends Stream {
  constructor(request, response, options) {
    super();
    this.writable = true;
    options = options || {};

    this._stream = response.socket;
    this._ping = options.ping || this.DEFAULT_PING;
    this._retry = options.retry || this.DEFAULT_RETRY;
    this._queue = ''; // chunks queued this tick, joined
    this._flushScheduled = false;
    this._needDrain = false;
    this._pingTimer = null;

    const scheme = isSecureRequest(request) ? 'https:' : 'http:';
    this.url = scheme + '//' + request.headers.host + request.url;
    this.lastEventId = request.headers['last-event-id'] || '';
    this.readyState = CONNECTING;

    const headers = options.headers ? native.renderHeaders(...headerOption(options.headers)) : '';

    const stream = this._stream;
    if (!stream || !stream.writable) return;
    process.nextTick(() => this._open());

    stream.setTimeout(0);
    stream.setNoDelay(true);

    this._write(
      'HTTP/1.1 200 OK\r\n' +
        'Content-Type: text/event-stream\r\n' +
        'Cache-Control: no-cache, no-store\r\n' +
        'Connection: close\r\n' +
        headers +
        '\r\n' +
        'retry: ' +
        Math.floor(this._retry * 1000) +
        '\r\n\r\n'
    );

    // faye re-emits every socket 'drain'. One that comes while events are
    // queued is held back until their write shows the socket has room.
    stream.on('drain', () => {
      if (this._queue.length > 0) this._needDrain = true;
      else this._emitDrain();
    });

    this._pingTimer = setInterval(() => this.ping(), this._ping * 1000);

    const close = () => this.close();
    stream.on('error', close);
    stream.on('end', close);
    // Not in faye, which notices a socket closed without 'end' or 'error'
    // only when its next ping fails: close at once and stop the timer.
    stream.on('close', close);
  }

  // Queues a chunk for this tick's socket write, and returns what faye's
  // socket.write would. While the socket's buffer plus the queue stays under
  // the socket's high-water mark, that is true, and the chunk waits for the
  // end of the tick. Once they reach the mark, the queue is written at once
  // and the socket's own answer is returned: true if the kernel took it all,
  // false if it is buffered over the mark, in which case 'drain' follows.
  // Lengths are counted in UTF-16 units, as Node's stream accounting counts
  // strings.
  _write(chunk) {
    if (!this.writable) return false;
    const stream = this._stream;
    if (!stream || !stream.writable) return false;

    const queue = this._queue + chunk;
    this._queue = queue;
    if (stream.writableLength + queue.length >= stream.writableHighWaterMark) return this._flush();
    scheduleFlush(this);
    return true;
  }

  // Writes the queue in one socket write; returns the socket's answer.
  _flush() {
    const chunk = this._queue;
    if (chunk.length === 0) return true;
    this._queue = '';

    const stream = this._stream;
    // A socket that is gone loses the chunk, as faye's write would.
    if (!stream.writable) return false;
    let flowing;
    try {
      flowing = stream.write(chunk, 'utf8');
    } catch {
      return false;
    }
    // The socket drained while this was queued: its 'drain' was held back.
    // Emitted on the next tick, never from inside the caller's send().
    if (flowing && this._needDrain) {
      this._needDrain = false;
      process.nextTick(drainTick, this);
    }
    return flowing;
  }

  _emitDrain() {
    this._needDrain = false;
    this.emit('drain');
  }

  _open() {
    if (this.readyState !== CONNECTING) return;
    this.readyState = OPEN;
    dispatch(this, 'open');
  }

  write(message) {
    return this.send(message);
  }

  end(message) {
    if (message !== undefined) this.write(message);
    this.close();
  }

  send(message, options) {
    if (this.readyState > OPEN) return false;
    return this._write(formatEvent(message, options));
  }

  ping() {
    return this._write(PING);
  }

  close() {
    if (this.readyState > OPEN) return false;

    this.readyState = CLOSED;
    this._needDrain = false;
    if (this._pingTimer) clearInterval(this._pingTimer);
    this._pingTimer = null;
    if (this._stream) {
      this._flush();
      this._stream.end();
    }
    this.writable = false;

    dispatch(this, 'close');
    return true;
  }
}

EventSource.prototype.DEFAULT_PING = 10;
EventSource.prototype.DEFAULT_RETRY = 5;
mixEventTarget(EventSource);

// A GET whose Accept list holds exactly `text/event-stream`.
EventSource.isEventSource = function isEventSource(request) {
  if (request.method !== 'GET') return false;
  const accept = splitList(request.headers.accept || '', isWhitespace);
  return accept.indexOf('text/event-stream') >= 0;
};

// util.inherits's back-reference, which faye's constructor has.
Object.defineProperty(EventSource, 'super_', { value: Stream, writable: true, configurable: true });
// For the formatting benchmark; not enumerable, so Object.keys matches faye.
Object.defineProperty(EventSource, '_formatEvent', { value: formatEvent });

module.exports = EventSource;
