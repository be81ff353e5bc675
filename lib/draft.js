'use strict';
// @ts-check

// hixie-75 and hixie-76 on the server, with `allowDrafts`: websocket-driver's
// draft75.js and draft76.js over the native NativeDraftSession
// (src/session/draft.rs), chosen as websocket-driver 0.7.4 chooses
// (src/session/draft.rs `Draft::select`). A subclass of the server
// WebSocket with its own send, ping, close and receive loop, so that hybi's
// paths carry nothing of it; it shares the API, the socket listeners and
// the close sequence (connection.js).
//
// What faye does with a draft: text frames only (a Buffer is dropped, and
// send still returns true), ping() returns false, and every close, the
// peer's or ours, has code and reason null, with no error unless the
// handshake failed. Ours: a hixie-76 client that never sends its 8 key
// bytes is dropped after `handshakeTimeout` ms (faye waits for ever).

const native = require('./binding');
const { Connection, checkCloseCode } = require('./connection');
const { header } = require('./request');
const { SERVER_OPTIONS, HANDSHAKE_TIMEOUT_MESSAGE, handshakeTimeoutOption } = require('./options');
const {
  DRAFT_DONE,
  DRAFT_OPEN,
  DRAFT_MESSAGE,
  CONNECTING,
  OPEN,
  CLOSED,
  CLOSE_NORMAL,
  CLOSE_ABNORMAL,
  MAX_LENGTH_DEFAULT,
} = require('./contract');

const HIXIE_76 = 'hixie-76';

// How long a hixie-76 connection waits for its key bytes by default.
const DEFAULT_HANDSHAKE_TIMEOUT = 30000;

// 'hixie-75', 'hixie-76', or null for a hybi request.
function draftVersion(request) {
  return native.draftVersion(
    header(request, 'sec-websocket-version'),
    header(request, 'sec-websocket-key'),
    header(request, 'sec-websocket-key1'),
    header(request, 'sec-websocket-key2')
  );
}

/**
 * The draft connection class, a subclass of the server's `WebSocket`.
 * @template {new (...args: any[]) => import('./connection').Connection} T
 * @param {T} WebSocket
 */
function draftClass(WebSocket) {
  class DraftWebSocket extends WebSocket {
    // Built without WebSocket's constructor, which would start hybi: the
    // object gets Connection's fields and this class's prototype.
    static create(request, socket, body, options, version, url) {
      const ws = /** @type {DraftWebSocket} */ (
        /** @type {unknown} */ (Reflect.construct(Connection, [], DraftWebSocket))
      );
      ws._startDraft(request, socket, body, options, version, url);
      return ws;
    }

    _startDraft(request, socket, body, options, version, url) {
      this._stream = socket;
      /** @type {ReturnType<typeof setTimeout> | null} */
      this._keyTimer = null;
      this._keyTimeout = handshakeTimeoutOption(options.handshakeTimeout, DEFAULT_HANDSHAKE_TIMEOUT);
      // faye leaves the object uninitialised on a dead socket.
      if (!socket || !socket.writable) return;
      if (!socket.readable) {
        socket.end();
        return;
      }
      const maxLength = Number(options.maxLength) || MAX_LENGTH_DEFAULT;
      /** @type {any} */
      const session = new native.NativeDraftSession(version === HIXIE_76, maxLength);
      this._extensions = null; // drafts have none (Base.addExtension)
      this._initialize(options, session, url, version, SERVER_OPTIONS);
      process.nextTick(startDraft, this, request, body);
    }

    /** @returns {import('./binding').NativeDraftSession} */
    _draft() {
      return /** @type {any} */ (this._session);
    }

    _start(request, body) {
      const session = this._draft();
      if (session.readyState !== CONNECTING) return;
      const error = session.start(
        String(request.method),
        header(request, 'connection'),
        header(request, 'upgrade'),
        header(request, 'origin'),
        header(request, 'sec-websocket-key1'),
        header(request, 'sec-websocket-key2'),
        this.url
      );
      this._writeOutput();
      if (error !== null) {
        this._emitError(error);
        this._beginClose(null, null);
        return;
      }
      // hixie-75 is open; hixie-76 waits for the client's key bytes.
      if (this.version !== HIXIE_76) this._open();
      else if (this._keyTimeout > 0) this._keyTimer = setTimeout(keyTimedOut, this._keyTimeout, this);
      if (body && body.length > 0) this._receive(body);
    }

    _writeOutput() {
      const output = this._draft().takeOutput();
      return output === null || this._stream.write(output);
    }

    _receive(chunk) {
      if (typeof chunk === 'string') chunk = Buffer.from(chunk);
      const session = this._draft();
      let offset = 0;
      for (;;) {
        const event = session.receive(chunk, offset);
        offset = session.nextOffset;
        this._writeOutput();
        if (event === DRAFT_DONE) break;
        if (event === DRAFT_OPEN) {
          this._open();
        } else if (event === DRAFT_MESSAGE) {
          this._receiveMessage(session.takeMessage().toString('utf8'));
        } else {
          this._beginClose(null, null);
          return;
        }
      }
      if (this._inputPaused && this._stream) this._stream.pause();
    }

    _open() {
      if (this._keyTimer) clearTimeout(this._keyTimer);
      super._open();
    }

    send(data) {
      if (this.readyState > OPEN) return false;
      if (!this._session) return true;
      if (Buffer.isBuffer(data)) return true;
      this._draft().sendText(String(data));
      return this._writeOutput();
    }

    // Drafts have no pings (Base.ping).
    ping() {
      return false;
    }

    close(code, reason) {
      if (!this._session) return super.close(code, reason);
      checkCloseCode(code === undefined ? CLOSE_NORMAL : code);
      if (this.readyState === CLOSED || !this._draft().close()) return;
      this._writeOutput();
      this._beginClose(null, null);
    }

    _finalizeClose(endSocket = true) {
      if (this._keyTimer) clearTimeout(this._keyTimer);
      super._finalizeClose(endSocket);
    }
  }
  return DraftWebSocket;
}

function startDraft(ws, request, body) {
  ws._start(request, body);
}

// Ours: the client's key bytes never came.
function keyTimedOut(ws) {
  ws._keyTimer = null;
  ws._draft().close();
  ws._emitError(HANDSHAKE_TIMEOUT_MESSAGE);
  ws._beginClose('', CLOSE_ABNORMAL);
}

module.exports = { draftClass, draftVersion };
