'use strict';
// @ts-check

// The server-side WebSocket: faye's lib/faye/websocket.js, on the socket Node
// hands to an http server's 'upgrade' listener.

const native = require('./binding');
const { Connection } = require('./connection');
const { startPipeline } = require('./extensions');
const { CONNECTING, CLOSE_PROTOCOL_ERROR, MAX_LENGTH_DEFAULT } = require('./contract');
const { splitList } = require('./split_list');
const { isSecureRequest, header } = require('./request');
const { SERVER_OPTIONS } = require('./options');
const { draftClass, draftVersion } = require('./draft');
const { configureDeflate } = require('./deflate');

// Joined rather than concatenated: a flat string, where `+` would keep a
// tree of string pieces (and the request's Host string) for the life of
// the connection.
function determineUrl(request) {
  const scheme = isSecureRequest(request) ? 'wss://' : 'ws://';
  return [scheme, String(request.headers && request.headers.host), String(request.url)].join('');
}

// The server's protocols: an array, or a string split as websocket-driver
// splits it; null means none.
function supportedProtocols(protocols) {
  if (typeof protocols === 'string') return splitList(protocols);
  return Array.isArray(protocols) ? protocols.map(String) : [];
}

class WebSocket extends Connection {
  constructor(request, socket, body, protocols, options) {
    super();
    options = options || {};
    // A hixie-75/76 connection (lib/draft.js) only when asked for.
    if (options.allowDrafts) {
      const version = draftVersion(request);
      if (version !== null)
        return DraftWebSocket.create(request, socket, body, options, version, determineUrl(request));
    }

    this._stream = socket;
    const supported = supportedProtocols(protocols);
    this._protocol =
      supported.length > 0 ? native.selectProtocol(header(request, 'sec-websocket-protocol'), supported) : null;

    // faye leaves the object uninitialised on a dead socket.
    if (!socket || !socket.writable) return;
    if (!socket.readable) {
      socket.end();
      return;
    }

    const session = new native.NativeSession(false, Number(options.maxLength) || MAX_LENGTH_DEFAULT);
    this._initialize(options, session, determineUrl(request), 'hybi-13', SERVER_OPTIONS);
    configureDeflate(session, options.extensions);

    process.nextTick(startOnNextTick, this, request, body);
  }

  _start(request, body) {
    // close() or the socket's end may have come first.
    if (this.readyState !== CONNECTING) return;
    const session = this._session;

    // With JS extensions, JS negotiates (websocket-extensions'
    // generateResponse); a malformed header is left to the native
    // handshake, which fails with the same message. Anything else an
    // extension throws fails the handshake with its message (faye's 400).
    let negotiation = null;
    if (this._extensions && reachesNegotiation(request)) {
      try {
        negotiation = this._extensions.serverNegotiation(header(request, 'sec-websocket-extensions'));
      } catch (error) {
        if (!(error instanceof SyntaxError)) {
          negotiation = {
            error: error instanceof Error ? error.message : String(error),
            useDeflate: false,
            allowedRsv: 0,
          };
        }
      }
    }

    const result = session.startServer(
      String(request.method),
      header(request, 'connection'),
      header(request, 'upgrade'),
      header(request, 'sec-websocket-version'),
      header(request, 'sec-websocket-key'),
      header(request, 'sec-websocket-extensions'),
      this._protocol,
      negotiation
    );
    // The response bytes, or faye's 400 and the message of its error event.
    if (!Buffer.isBuffer(result)) {
      this._stream.write(result.response);
      this._emitError(result.message);
      this._beginClose(result.message, CLOSE_PROTOCOL_ERROR);
      return;
    }
    this._stream.write(result);

    if (negotiation) startPipeline(this);
    this._open();
    if (body && body.length > 0) this._receive(body);
  }
}

// faye negotiates extensions only for a request that passed its own checks
// (the native handshake makes them again, to answer with faye's 400).
function reachesNegotiation(request) {
  return (
    isWebSocket(request) &&
    header(request, 'sec-websocket-version') === '13' &&
    header(request, 'sec-websocket-key') !== null
  );
}

const DraftWebSocket = draftClass(WebSocket);

function startOnNextTick(socket, request, body) {
  socket._start(request, body);
}

// websocket-driver's isWebSocket: a GET with `Connection: upgrade` among its
// tokens and `Upgrade: websocket`. The native handshake checks the same rule
// again; this copy in JS spares every upgrade request a native call with
// three strings (~1 % of a short-lived connection's cost).
function isWebSocket(request) {
  if (String(request.method) !== 'GET') return false;
  const connection = header(request, 'connection');
  const upgrade = header(request, 'upgrade');
  if (connection === null || upgrade === null || upgrade.toLowerCase() !== 'websocket') return false;
  const tokens = connection.toLowerCase();
  return tokens === 'upgrade' || splitList(tokens).includes('upgrade');
}

module.exports = { WebSocket, isWebSocket };
