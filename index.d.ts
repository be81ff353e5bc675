// Type definitions for faye-websocket-native: the API of faye-websocket 0.11.4.

/// <reference types="node" />

import { IncomingMessage, ServerResponse } from 'http';
import { Duplex, Stream } from 'stream';
import { ConnectionOptions as TlsConnectionOptions } from 'tls';
import { NetConnectOpts } from 'net';

declare namespace WebSocket {
  /** faye's events are plain objects, not DOM events. */
  interface Event {
    type: string;
    bubbles: boolean;
    cancelable: boolean;
    target: any;
    currentTarget: any;
    eventPhase: number;
    initEvent(type: string, bubbles: boolean, cancelable: boolean): void;
    stopPropagation(): void;
    preventDefault(): void;
  }

  interface OpenEvent extends Event {
    type: 'open';
  }

  interface MessageEvent extends Event {
    type: 'message';
    /** A string for text frames, a Buffer for binary frames. */
    data: string | Buffer;
  }

  interface ErrorEvent extends Event {
    type: 'error';
    message: string;
  }

  interface CloseEvent extends Event {
    type: 'close';
    code: number;
    reason: string;
  }

  /** A websocket-extensions plugin, such as require('permessage-deflate'). */
  interface Extension {
    name: string;
    type: 'permessage';
    rsv1: boolean;
    rsv2: boolean;
    rsv3: boolean;
    createClientSession?(options?: object): unknown;
    createServerSession?(offers: object[], options?: object): unknown;
  }

  /** permessage-deflate 0.1.7's `configure` options. */
  interface DeflateOptions {
    level?: number;
    memLevel?: number;
    strategy?: number;
    noContextTakeover?: boolean;
    maxWindowBits?: number;
    requestNoContextTakeover?: boolean;
    requestMaxWindowBits?: number;
    /** Accepted for compatibility and ignored: the codec is native. */
    zlib?: unknown;
  }

  /** The native permessage-deflate plugin, `require('faye-websocket-native').deflate`. */
  interface DeflateExtension extends Extension {
    name: 'permessage-deflate';
    configure(options: DeflateOptions): DeflateExtension;
  }

  interface Options {
    /** Extra response headers (server) or request headers (client). CR and LF are rejected. */
    headers?: Record<string, string | number | boolean | undefined>;
    extensions?: Extension | Extension[];
    /** Largest message accepted, in bytes. Default 2^26 - 1. */
    maxLength?: number;
    /** Send a ping every this many seconds. */
    ping?: number;
    /**
     * Dead-peer detection (not in faye-websocket): a ping every `interval`
     * milliseconds; when its pong has not come `timeout` milliseconds later,
     * `error` and `close` 1006. Absent: no heartbeat.
     */
    heartbeat?: { interval: number; timeout: number };
    /**
     * Slow readers (not in faye-websocket): once `bufferedAmount` exceeds this
     * many bytes, `send` returns false, `error` and `close` 1008 follow and the
     * buffered bytes are freed. 0 or absent: no cap (faye keeps everything).
     */
    maxBufferedAmount?: number;
  }

  interface ProxyOptions {
    origin?: string;
    headers?: Record<string, string>;
    tls?: TlsConnectionOptions;
  }

  interface ClientOptions extends Options {
    /** Options for `net.connect` (ws: URLs and http: proxies); host and port come from the URL. */
    net?: Partial<NetConnectOpts>;
    /** Options for `tls.connect` to a wss: server (also inside a proxy tunnel). */
    tls?: TlsConnectionOptions;
    /** Shorthand for `tls.ca`. */
    ca?: TlsConnectionOptions['ca'];
    proxy?: ProxyOptions;
    /**
     * Milliseconds the connection, proxy tunnel and opening handshake may take
     * before `error` ('Opening handshake has timed out') and `close` 1006.
     * Not in faye-websocket; 0 or absent means no limit.
     */
    handshakeTimeout?: number;
  }

  interface ServerOptions extends Options {
    /**
     * Serve the pre-standard protocols hixie-75 and hixie-76 (draft-75/76) to
     * requests without `Sec-WebSocket-Version` and `Sec-WebSocket-Key`, as
     * faye-websocket did with websocket-driver 0.7.4 (`version` is then
     * 'hixie-75' or 'hixie-76'). Off by default, as in websocket-driver 0.8.0:
     * such requests get `400 Unsupported WebSocket version: undefined`.
     * faye-websocket itself rejects this option.
     */
    allowDrafts?: boolean;
    /**
     * With `allowDrafts`: milliseconds a hixie-76 client may take to send the
     * 8 key bytes after its request, before `error` ('Opening handshake has
     * timed out') and `close` 1006. Default 30000; 0 means no limit. Not in
     * faye-websocket, which waits for ever.
     */
    handshakeTimeout?: number;
    /** Accepted and ignored on the server, as faye does. */
    proxy?: ProxyOptions;
    tls?: TlsConnectionOptions;
    ca?: TlsConnectionOptions['ca'];
  }

  type ReadyState = 0 | 1 | 2 | 3;

  /** What the server socket and the client share: faye's API. */
  interface API extends Stream {
    readonly readyState: ReadyState;
    /** Bytes accepted by send() and not yet written to the socket. */
    readonly bufferedAmount: number;
    /** The subprotocol in use, or ''. */
    protocol: string;
    url: string;
    version: string;
    readable: boolean;
    writable: boolean;

    onopen: ((this: this, event: OpenEvent) => void) | null;
    onmessage: ((this: this, event: MessageEvent) => void) | null;
    onerror: ((this: this, event: ErrorEvent) => void) | null;
    onclose: ((this: this, event: CloseEvent) => void) | null;

    addEventListener(type: 'open', listener: (event: OpenEvent) => void): void;
    addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
    addEventListener(type: 'error', listener: (event: ErrorEvent) => void): void;
    addEventListener(type: 'close', listener: (event: CloseEvent) => void): void;
    addEventListener(type: string, listener: (event: any) => void): void;
    removeEventListener(type: string, listener: (event: any) => void): void;
    dispatchEvent(event: Event): void;

    on(event: 'open', listener: (event: OpenEvent) => void): this;
    on(event: 'message', listener: (event: MessageEvent) => void): this;
    on(event: 'error', listener: (event: ErrorEvent) => void): this;
    on(event: 'close', listener: (event: CloseEvent) => void): this;
    on(event: 'data', listener: (data: string | Buffer) => void): this;
    on(event: 'drain' | 'end', listener: () => void): this;
    on(event: string | symbol, listener: (...args: any[]) => void): this;

    /** Non-Buffer data is sent as text, converted with String(). False when closing, closed or backed up. */
    send(data: string | Buffer | unknown): boolean;
    write(data: string | Buffer | unknown): boolean;
    /** The callback runs once when a pong with the same payload arrives. */
    ping(message?: string | Buffer | number | null, callback?: () => void): boolean;
    /** code: 1000 or 3000-4999 (anything else throws). */
    close(code?: number, reason?: string): void;
    end(data?: string | Buffer | unknown): void;
    pause(): void;
    resume(): void;
    pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T;
  }

  interface ClientAPI extends API {
    /** The handshake response's status code, set before open or error. */
    statusCode?: number;
    /** The handshake response's headers (lower-cased names), set before open or error. */
    headers?: Record<string, string>;
  }

  interface ClientConstructor {
    new (url: string, protocols?: string | string[] | null, options?: ClientOptions): ClientAPI;
  }

  interface EventSourceOptions {
    headers?: Record<string, string>;
    /** Seconds between keep-alive comments. Default 10. */
    ping?: number;
    /** Seconds the client waits before reconnecting. Default 5. */
    retry?: number;
  }

  interface EventSource extends Stream {
    readonly readyState: ReadyState;
    url: string;
    lastEventId: string;
    writable: boolean;
    onopen: ((this: this, event: OpenEvent) => void) | null;
    onclose: ((this: this, event: Event) => void) | null;
    addEventListener(type: 'open' | 'close', listener: (event: Event) => void): void;
    removeEventListener(type: string, listener: (event: any) => void): void;
    dispatchEvent(event: Event): void;
    send(message: string, options?: { event?: string; id?: string | number }): boolean;
    write(message: string): boolean;
    ping(): boolean;
    close(): boolean;
    end(message?: string): void;
  }

  interface EventSourceConstructor {
    new (request: IncomingMessage, response: ServerResponse, options?: EventSourceOptions): EventSource;
    isEventSource(request: IncomingMessage): boolean;
  }
}

interface WebSocket extends WebSocket.API {}

declare const WebSocket: {
  new (
    request: IncomingMessage,
    socket: Duplex,
    body?: Buffer,
    protocols?: string | string[] | null,
    options?: WebSocket.ServerOptions
  ): WebSocket;
  /** A GET with `Connection: upgrade` and `Upgrade: websocket`. */
  isWebSocket(request: IncomingMessage): boolean;
  /** Throws `Unrecognized option: <key>` for the first key not in validKeys. */
  validateOptions(options: object | null | undefined, validKeys: string[]): void;
  WebSocket: typeof WebSocket;
  Client: WebSocket.ClientConstructor;
  EventSource: WebSocket.EventSourceConstructor;
  /** Native permessage-deflate, configured like the npm package. */
  deflate: WebSocket.DeflateExtension;
};

export = WebSocket;
