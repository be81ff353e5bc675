'use strict';
// @ts-check

// WebSocket.Client: faye's lib/faye/websocket/client.js with websocket-driver's
// client and proxy (driver/client.js, driver/proxy.js) replaced by the native
// session. Node's net and tls modules do all the I/O; the Rust core writes
// the handshake and CONNECT requests and reads the answers.
//
// Unlike faye, every option is checked before a socket exists, the caller's
// option objects are copied rather than written to, and a refused proxy
// tunnel closes at once.

const net = require('net');
const tls = require('tls');
const native = require('./binding');
const { Connection } = require('./connection');
const { createExtensions, startPipeline } = require('./extensions');
const {
  WEBSOCKET_OPTIONS,
  HANDSHAKE_TIMEOUT_MESSAGE,
  validateOptions,
  validateExtensions,
  handshakeTimeoutOption,
  heartbeatOption,
  maxBufferedAmountOption,
} = require('./options');
const { configureDeflate } = require('./deflate');
const { headerOption } = require('./request');
const { splitList } = require('./split_list');

const {
  HANDSHAKE_PENDING,
  HANDSHAKE_FAILED,
  CONNECTING,
  CLOSE_PROTOCOL_ERROR,
  CLOSE_ABNORMAL,
  HANDSHAKE_FAILURE_PREFIX,
  MAX_LENGTH_DEFAULT,
} = require('./contract');

// faye documents `net` (and rejects it by a bug); `handshakeTimeout` is ours.
const CLIENT_OPTIONS = WEBSOCKET_OPTIONS.concat(['net', 'handshakeTimeout']);

const DEFAULT_PORTS = { 'http:': 80, 'https:': 443, 'ws:': 80, 'wss:': 443 };
const SECURE_PROTOCOLS = ['https:', 'wss:'];
const PROXY_PROTOCOLS = ['http:', 'https:', 'ws:', 'wss:'];

// Where the bytes from the socket go.
const STAGE_CONNECTING = 0; // TCP (or TLS) connection not up yet
const STAGE_PROXY = 1; // CONNECT sent, reading the proxy's answer
const STAGE_HANDSHAKE = 2; // request sent, reading the server's answer
const STAGE_OPEN = 3; // frames
const STAGE_DONE = 4; // failed or closed before open: ignore everything

// websocket-driver's Proxy.parseUrl: a string or anything with an href,
// through the WHATWG parser; null when it cannot be parsed.
function parseUrl(value) {
  let text = value;
  if (value !== null && typeof value === 'object') text = value.href;
  if (typeof text !== 'string') return null;
  try {
    return new URL(text);
  } catch {
    return null;
  }
}

// faye reads these options with `options.x || {}`.
function objectOption(value, name) {
  if (!value) return {};
  if (typeof value !== 'object') {
    throw new TypeError('The "' + name + '" option must be an object; got ' + typeof value);
  }
  return value;
}

// hybi.js: `options.protocols || []`, a string split on commas.
function protocolList(protocols) {
  if (typeof protocols === 'string') return splitList(protocols);
  return Array.isArray(protocols) ? protocols : [];
}

// `new URL` keeps IPv6 hosts in brackets; sockets want them bare.
function socketHost(hostname) {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

// TLS servername (SNI) defaults to the host name; an IP address is not a
// valid server name (RFC 6066), and Node warns about it.
function withServername(options, hostname) {
  if (!options.servername && !net.isIP(hostname)) options.servername = hostname;
  return options;
}

// websocket-driver's headers object: plain, lower-cased names (the native
// parser joined repeated ones).
function headersObject(flat) {
  const headers = {};
  for (let i = 0; i < flat.length; i += 2) headers[flat[i]] = flat[i + 1];
  return headers;
}

class Client extends Connection {
  constructor(url, protocols, options) {
    super();
    options = options || {};

    const uri = parseUrl(url);
    if (!uri || (uri.protocol !== 'ws:' && uri.protocol !== 'wss:')) {
      throw new Error(url + ' is not a valid WebSocket URL');
    }

    // Everything that can throw runs before a socket exists.
    validateOptions(options, CLIENT_OPTIONS);
    const netOptions = objectOption(options.net, 'net');
    const originTLS = objectOption(options.tls, 'tls');
    const proxy = objectOption(options.proxy, 'proxy');
    const proxyTLS = objectOption(proxy.tls, 'proxy.tls');
    const timeout = handshakeTimeoutOption(options.handshakeTimeout, 0);
    if (options.extensions) validateExtensions(options.extensions);
    // Read again by `_initialize`, once the socket exists.
    heartbeatOption(options.heartbeat);
    maxBufferedAmountOption(options.maxBufferedAmount);

    const session = new native.NativeSession(true, Number(options.maxLength) || MAX_LENGTH_DEFAULT);
    configureDeflate(session, options.extensions);
    if (options.headers) {
      const [names, values] = headerOption(options.headers);
      session.setHeaders(names, values);
    }
    const list = protocolList(protocols);
    // With JS extensions, JS makes the offer (websocket-extensions'
    // generateOffer) and activates the response.
    this._extensions = createExtensions(options, session, Number(options.maxLength));
    const jsOffer = this._extensions ? { offer: this._extensions.clientOffer() || undefined } : null;
    this._request = session.startClient({
      path: (uri.pathname || '/') + (uri.search || ''),
      host: uri.host,
      username: uri.username,
      password: uri.password,
      protocolHeader: list.length > 0 ? list.join(', ') : null,
      protocols: list.filter((protocol) => typeof protocol === 'string'),
      jsOffer,
    });

    let endpoint = uri;
    this._connectRequest = null;
    if (proxy.origin) {
      endpoint = parseUrl(proxy.origin);
      if (!endpoint || PROXY_PROTOCOLS.indexOf(endpoint.protocol) < 0) {
        throw new Error(proxy.origin + ' is not a valid proxy URL');
      }
      const [names, values] = proxy.headers ? headerOption(proxy.headers) : [[], []];
      const authority = uri.hostname + ':' + (uri.port || DEFAULT_PORTS[uri.protocol]);
      this._connectRequest = native.proxyConnectRequest(
        authority,
        uri.host,
        endpoint.username,
        endpoint.password,
        names,
        values
      );
    }
    this._uri = uri;
    this._secure = SECURE_PROTOCOLS.indexOf(uri.protocol) >= 0;
    this._originTLS = Object.assign({}, originTLS);
    if (!this._originTLS.ca && options.ca) this._originTLS.ca = options.ca;

    this._stage = STAGE_CONNECTING;
    this._proxyConnect = this._connectRequest ? new native.NativeProxyConnect() : null;
    this._rawSocket = null;
    this.statusCode = undefined;
    this.headers = undefined;

    const hostname = socketHost(endpoint.hostname);
    const port = Number(endpoint.port) || DEFAULT_PORTS[endpoint.protocol];
    const onConnect = () => this._onConnect();
    if (SECURE_PROTOCOLS.indexOf(endpoint.protocol) >= 0) {
      const socketTLS = Object.assign({}, this._connectRequest ? proxyTLS : this._originTLS);
      socketTLS.host = hostname;
      socketTLS.port = port;
      this._stream = tls.connect(withServername(socketTLS, hostname), onConnect);
    } else {
      this._stream = net.connect(Object.assign({}, netOptions, { host: hostname, port }), onConnect);
    }

    this._initialize(options, session, url, 'hybi-13', CLIENT_OPTIONS);

    this._handshakeTimer = timeout > 0 ? setTimeout(() => this._onHandshakeTimeout(), timeout) : null;
  }

  _onConnect() {
    if (this.readyState !== CONNECTING || this._stage !== STAGE_CONNECTING) return;
    if (this._proxyConnect) {
      this._stage = STAGE_PROXY;
      this._stream.write(this._connectRequest);
    } else {
      this._sendHandshake();
    }
  }

  _sendHandshake() {
    if (this.readyState !== CONNECTING) return;
    this._stage = STAGE_HANDSHAKE;
    this._stream.write(this._request);
    this._request = null;
  }

  _receive(chunk) {
    if (this._stage === STAGE_OPEN) return super._receive(chunk);
    if (typeof chunk === 'string') chunk = Buffer.from(chunk);
    if (this._stage === STAGE_HANDSHAKE) return this._receiveHandshake(chunk);
    if (this._stage === STAGE_PROXY) return this._receiveProxyAnswer(chunk);
  }

  _receiveHandshake(chunk) {
    const session = this._session;
    // HANDSHAKE_PENDING, HANDSHAKE_OPEN, or the failure.
    const progress = session.receiveHandshake(chunk);
    if (progress === HANDSHAKE_PENDING) return;

    this._clearHandshakeTimer();
    const statusCode = session.statusCode;
    this.statusCode = statusCode === null ? undefined : statusCode;
    this.headers = headersObject(session.responseHeaders);

    let message = typeof progress === 'number' ? null : progress.message;
    if (message === null && this._extensions) {
      try {
        this._extensions.activate(this.headers['sec-websocket-extensions']);
      } catch (error) {
        session.failHandshake();
        message = HANDSHAKE_FAILURE_PREFIX + error.message;
      }
    }

    if (message !== null) {
      this._stage = STAGE_DONE;
      this._emitError(message);
      this._beginClose(message, CLOSE_PROTOCOL_ERROR);
      return;
    }

    // websocket-driver: frames queued while connecting are written, then
    // open is dispatched, then the bytes after the response are parsed.
    this._stage = STAGE_OPEN;
    this._protocol = session.selectedProtocol || '';
    this._flush();
    if (this._extensions) startPipeline(this);
    this._open();
    const offset = session.bodyOffset;
    session.endHandshake();
    if (offset < chunk.length) super._receive(chunk.subarray(offset));
  }

  _receiveProxyAnswer(chunk) {
    const proxy = this._proxyConnect;
    const state = proxy.receive(chunk);
    if (state === HANDSHAKE_PENDING) return;

    if (state === HANDSHAKE_FAILED) {
      // faye leaves the socket open until the proxy hangs up; we close now.
      this._stage = STAGE_DONE;
      this._emitError("Can't establish a connection to the server at " + this._uri.href);
      this._beginClose('', CLOSE_ABNORMAL);
      return;
    }

    const rest = chunk.subarray(proxy.bodyOffset);
    if (!this._secure) {
      this._sendHandshake();
      if (rest.length > 0) this._receiveHandshake(rest);
      return;
    }

    // wss: TLS over the tunnel, with the `tls` option (faye:
    // `{socket, servername: hostname, ...options.tls}`). A proxy has no
    // reason to send bytes of its own before the TLS hello; any are dropped.
    const raw = this._stream;
    raw.removeAllListeners('data');
    raw.removeAllListeners('drain');
    this._rawSocket = raw;
    const options = withServername(Object.assign({}, this._originTLS), socketHost(this._uri.hostname));
    options.socket = raw;
    this._stage = STAGE_CONNECTING;
    this._stream = tls.connect(options, () => {
      if (this._stage === STAGE_CONNECTING) this._sendHandshake();
    });
    this._configureStream();
  }

  _onHandshakeTimeout() {
    this._handshakeTimer = null;
    if (this.readyState !== CONNECTING) return;
    this._stage = STAGE_DONE;
    this._emitError(HANDSHAKE_TIMEOUT_MESSAGE);
    this._beginClose('', CLOSE_ABNORMAL);
  }

  _clearHandshakeTimer() {
    if (this._handshakeTimer) clearTimeout(this._handshakeTimer);
    this._handshakeTimer = null;
  }

  _outputHeld() {
    return this._stage !== STAGE_OPEN;
  }

  _beginClose(reason, code, failed = false) {
    if (this._stage !== STAGE_OPEN) this._stage = STAGE_DONE;
    this._clearHandshakeTimer();
    super._beginClose(reason, code, failed);
  }

  _finalizeClose(endSocket) {
    this._clearHandshakeTimer();
    if (this._stage !== STAGE_OPEN) this._stage = STAGE_DONE;
    super._finalizeClose(endSocket);
    if (this._rawSocket && this._rawSocket !== this._stream) this._rawSocket.destroy();
  }
}

module.exports = Client;
