'use strict';
// A raw TCP WebSocket client: writes a hand-made handshake, collects every
// byte the server sends, and parses frames after the HTTP response head.
const net = require('net');
const crypto = require('crypto');
const F = require('./frames');

const FIXED_KEY = 'dGhlIHNhbXBsZSBub25jZQ=='; // RFC 6455 §1.3 sample key
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const acceptFor = (key) =>
  crypto
    .createHash('sha1')
    .update(key + GUID)
    .digest('base64');

/**
 * Build a handshake request.
 * opts: method ('GET'), path ('/'), host ('127.0.0.1'), key (FIXED_KEY),
 * version ('13'), protocol, extensions, headers (extra [name, value] pairs or
 * object), omit (array of lower-case header names to leave out).
 */
function handshakeRequest(opts = {}) {
  const omit = new Set((opts.omit || []).map((h) => h.toLowerCase()));
  const lines = [`${opts.method || 'GET'} ${opts.path || '/'} HTTP/1.1`];
  const add = (n, v) => {
    if (!omit.has(n.toLowerCase()) && v !== undefined) lines.push(`${n}: ${v}`);
  };
  add('Host', opts.host || '127.0.0.1');
  add('Upgrade', opts.upgrade || 'websocket');
  add('Connection', opts.connection || 'Upgrade');
  add('Sec-WebSocket-Key', opts.key === undefined ? FIXED_KEY : opts.key);
  add('Sec-WebSocket-Version', opts.version === undefined ? '13' : opts.version);
  add('Sec-WebSocket-Protocol', opts.protocol);
  add('Sec-WebSocket-Extensions', opts.extensions);
  const extra = opts.headers || [];
  for (const [n, v] of Array.isArray(extra) ? extra : Object.entries(extra)) add(n, v);
  return lines.join('\r\n') + '\r\n\r\n';
}

const liveClients = new Set();

class RawClient {
  constructor(socket) {
    this.socket = socket;
    liveClients.add(this);
    socket.on('close', () => liveClients.delete(this));
    this.chunks = [];
    this.ended = false;
    this.closed = false;
    this.onFrame = null; // (frame, client) => void, called for each new server frame
    this._parsedUpTo = 0;
    this._waiters = [];
    this.framesSeen = [];
    socket.on('data', (d) => {
      this.chunks.push(d);
      this._pump();
    });
    socket.on('end', () => {
      this.ended = true;
      this._pump();
    });
    socket.on('close', () => {
      this.closed = true;
      this._pump();
    });
    socket.on('error', (e) => {
      this.error = e;
    });
  }

  static connect(port, host = '127.0.0.1') {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, host, () => {
        s.setNoDelay(true);
        resolve(new RawClient(s));
      });
      s.once('error', reject);
    });
  }

  get bytes() {
    return Buffer.concat(this.chunks);
  }

  /** Index just after the HTTP response head, or -1. */
  headEnd() {
    const i = this.bytes.indexOf('\r\n\r\n');
    return i < 0 ? -1 : i + 4;
  }

  /** The response head as a string (without the blank line), or null. */
  get head() {
    const e = this.headEnd();
    return e < 0 ? null : this.bytes.subarray(0, e - 4).toString('latin1');
  }

  get status() {
    const h = this.head;
    return h ? Number(h.split(' ')[1]) : null;
  }

  /** Bytes after the response head. */
  get body() {
    const e = this.headEnd();
    return e < 0 ? Buffer.alloc(0) : this.bytes.subarray(e);
  }

  /** Frames after the head (only meaningful after a 101). */
  get frames() {
    return F.parseFrames(this.body).frames;
  }

  write(buf) {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve(false);
      this.socket.write(buf, () => resolve(true));
    });
  }

  /** Write `buf` in pieces of `size` bytes, yielding to the event loop between pieces. */
  async writeInPieces(buf, size = 1) {
    for (let i = 0; i < buf.length; i += size) {
      if (this.socket.destroyed) return;
      this.socket.write(buf.subarray(i, i + size));
      await new Promise((r) => setImmediate(r));
    }
  }

  sendHandshake(opts) {
    return this.write(handshakeRequest(opts));
  }

  _pump() {
    if (this.onFrame && this.headEnd() >= 0) {
      const { frames } = F.parseFrames(this.body);
      while (this._parsedUpTo < frames.length) {
        const f = frames[this._parsedUpTo++];
        this.framesSeen.push(f);
        this.onFrame(f, this);
      }
    }
    for (const w of this._waiters.slice()) {
      if (w.pred()) {
        this._waiters.splice(this._waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.resolve(true);
      }
    }
  }

  /** Resolve true when pred() holds, or false after `ms`. */
  waitFor(pred, ms = 3000) {
    if (pred()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const w = { pred, resolve };
      w.timer = setTimeout(() => {
        this._waiters.splice(this._waiters.indexOf(w), 1);
        resolve(false);
      }, ms);
      this._waiters.push(w);
    });
  }

  waitHead(ms) {
    return this.waitFor(() => this.headEnd() >= 0 || this.ended || this.closed, ms);
  }
  waitEnd(ms) {
    return this.waitFor(() => this.ended || this.closed, ms);
  }
  waitFrames(n, ms) {
    return this.waitFor(() => this.frames.length >= n || this.ended || this.closed, ms);
  }

  destroy() {
    this.socket.destroy();
  }
}

module.exports = { liveClients, RawClient, handshakeRequest, acceptFor, FIXED_KEY };
