// The native addon as lib/ uses it: what `require('./binding')` returns.
// Generated from the `#[napi]` items of src/bindings/ by
// scripts/binding-types.js; do not edit (npm run lint checks it is current).

export const HANDSHAKE_PENDING: number;

export const HANDSHAKE_OPEN: number;

export const HANDSHAKE_FAILED: number;

/**
 * Table layout: a header of `TABLE_HEADER` slots
 * `[event count, next chunk offset, chunk done (0/1, or 2: go on from the
 * offset on a later turn of the event loop), output pending (0/1)]`,
 * then `EVENT_SLOTS` slots per event: `[kind, a, b, c]`.
 */
export const TABLE_HEADER: number;

export const EVENT_SLOTS: number;

/**
 * Message and pong events: `a` is `PAYLOAD_IN_CHUNK` (then `b..c` is the
 * payload's range in the chunk) or `PAYLOAD_TAKEN` (call `take_text` or
 * `take_buffer`).
 */
export const EVENT_TEXT: number;

export const EVENT_BINARY: number;

export const EVENT_PONG: number;

/** The peer closed: `a` is the code; the reason comes from `take_text`. */
export const EVENT_CLOSE: number;

/** A protocol failure: `a` is the close code; the message comes from `take_text`. */
export const EVENT_ERROR: number;

/**
 * With JS extensions, a whole message for the pipeline: `a` has bit 0 set
 * when the payload is taken (else `b..c` is its range in the chunk), bit 1
 * for binary, and the RSV bits in their frame-byte places (0x40, 0x20, 0x10).
 */
export const EVENT_RAW: number;

/**
 * With JS extensions, the peer's close or a failure, nothing written yet:
 * `a` is the code, `b` has bit 0 for a failure and bit 1 when a close frame
 * is due once the pipeline has drained; the reason or message comes from
 * `take_text`.
 */
export const EVENT_SHUTDOWN: number;

export const PAYLOAD_IN_CHUNK: number;

export const PAYLOAD_TAKEN: number;

/**
 * Header slots of the event table: how many events were written, where
 * parsing goes on in the chunk, the chunk's status (`CHUNK_*`) and whether
 * output is pending (1) or not (0).
 */
export const TABLE_EVENT_COUNT: number;

export const TABLE_NEXT_OFFSET: number;

export const TABLE_STATUS: number;

export const TABLE_OUTPUT_PENDING: number;

/**
 * `TABLE_STATUS`: events were written and parsing paused; dispatch them,
 * then call `receive` again from `TABLE_NEXT_OFFSET`.
 */
export const CHUNK_PAUSED: number;

/** `TABLE_STATUS`: the chunk is used up. */
export const CHUNK_DONE: number;

/**
 * `TABLE_STATUS`: go on from `TABLE_NEXT_OFFSET` on a later turn of the
 * event loop (a compressed message inflating to a lot).
 */
export const CHUNK_YIELD: number;

/** `EVENT_RAW`'s `a`: the payload is taken (else it is `b..c` of the chunk). */
export const RAW_TAKEN: number;

/** `EVENT_RAW`'s `a`: a binary message (else text). */
export const RAW_BINARY: number;

/** `EVENT_SHUTDOWN`'s `b`: a failure (else the peer's close). */
export const SHUTDOWN_ERROR: number;

/** `EVENT_SHUTDOWN`'s `b`: a close frame is due once the pipeline drains. */
export const SHUTDOWN_SEND_FRAME: number;

/**
 * The RSV bits in their frame-byte places, as `EVENT_RAW`'s `a`,
 * `send_frame` and `enable_pipeline` take them.
 */
export const RSV1: number;

export const RSV2: number;

export const RSV3: number;

/**
 * `NativeDraftSession.receive`: the chunk is used up (`DRAFT_DONE`),
 * hixie-76's key bytes arrived and the session is open (`DRAFT_OPEN`), a
 * message is waiting in `take_message` (`DRAFT_MESSAGE`), or the
 * connection closed (`DRAFT_CLOSE`). Output may be due after any of them.
 */
export const DRAFT_DONE: number;

export const DRAFT_OPEN: number;

export const DRAFT_MESSAGE: number;

export const DRAFT_CLOSE: number;

/** faye's default `maxLength`: 2^26 - 1. */
export const DEFAULT_MAX_LENGTH: number;

/** `send_text`/`send_binary`: the session no longer sends. */
export const NOT_SENT: number;

/** `NativeSession`'s `max_length` argument that stands for faye's default. */
export const MAX_LENGTH_DEFAULT: number;

/** faye's readyState values, the session's `ReadyState`. */
export const CONNECTING: number;

export const OPEN: number;

export const CLOSING: number;

export const CLOSED: number;

/** The opcodes of the messages the JS pipeline sees and `send_frame` takes. */
export const OPCODE_TEXT: number;

export const OPCODE_BINARY: number;

/**
 * Close codes: the core's, and 1006, which only `lib/` uses (faye's code
 * for a connection that ended without a closing handshake).
 */
export const CLOSE_NORMAL: number;

export const CLOSE_PROTOCOL_ERROR: number;

export const CLOSE_UNACCEPTABLE: number;

export const CLOSE_ABNORMAL: number;

export const CLOSE_POLICY_VIOLATION: number;

export const CLOSE_EXTENSION_ERROR: number;

/** 1011, which `lib/` sends when a Rust panic fails a connection (faye never does). */
export const CLOSE_INTERNAL_ERROR: number;

/**
 * faye's close codes and messages for a message that is too long or not
 * UTF-8, which `lib/` also applies after the JS pipeline.
 */
export const CLOSE_TOO_LARGE: number;

export const TOO_LARGE_MESSAGE: string;

export const CLOSE_ENCODING_ERROR: number;

export const INVALID_UTF8_MESSAGE: string;

/** How every client handshake failure message starts. */
export const HANDSHAKE_FAILURE_PREFIX: string;

/**
 * `start_server`'s answer to a request it refused: faye's 400 response,
 * to write, and the message for the error event.
 */
export interface HandshakeRejection {
  response: Buffer;
  message: string;
}

/**
 * `set_deflate`'s options: permessage-deflate's `configure` options,
 * null when not given.
 */
export interface DeflateConfig {
  level: number | null;
  memLevel: number | null;
  strategy: number | null;
  noContextTakeover: boolean;
  maxWindowBits: number | null;
  requestNoContextTakeover: boolean;
  requestMaxWindowBits: number | null;
}

/**
 * `start_client`'s request. `path` and `host` come from the WHATWG URL,
 * `username`/`password` (still percent-encoded) from its userinfo;
 * `protocol_header` is `protocols.join(', ')` when the list was not empty
 * and `protocols` the names the server may choose from; `js_offer` is
 * the extension offer when JS extensions are registered.
 */
export interface ClientRequest {
  path: string;
  host: string;
  username: string;
  password: string;
  protocolHeader: string | null;
  protocols: Array<string>;
  jsOffer: JsOffer | null;
}

/**
 * The server handshake's extensions as JS negotiated them (JS extensions
 * registered): the `Sec-WebSocket-Extensions` value (or the error),
 * whether it includes permessage-deflate (as `deflate_server_response`
 * agreed) and the RSV bits the active extensions claim.
 */
export interface JsNegotiation {
  response?: string;
  /** What the negotiation threw, if it did. */
  error?: string;
  useDeflate: boolean;
  allowedRsv: number;
}

/** The client's extension offer as JS made it (JS extensions registered). */
export interface JsOffer {
  offer?: string;
}

/**
 * Why a permessage-deflate stage of the JS pipeline (or the client
 * handshake) failed: the message for the JS `Error`.
 */
export interface Failure {
  message: string;
}

/** One extension of a `Sec-WebSocket-Extensions` header, for lib/extensions.js. */
export interface ExtensionOffer {
  name: string;
  params: Array<ExtensionParam>;
}

/**
 * A parameter: `value` is true for a bare key, a number when the value
 * looks like one (websocket-extensions' parseFloat), else the text.
 */
export interface ExtensionParam {
  key: string;
  value: boolean | number | string;
}

/** A message and the compressor, ready to go to the thread pool. */
export declare class CompressJob {
  /**
   * Runs the compression on libuv's thread pool; resolves with a
   * `CompressedMessage`. A second call rejects.
   */
  run(): Promise<CompressedMessage>;
}

/**
 * What a `CompressTask` made: the compressed bytes (or the message itself,
 * with the error, when compression failed) and the compressor to give back
 * to the session.
 */
export declare class CompressedMessage {}

export declare class NativeDraftSession {
  /** `hixie76` picks the draft; `max_length` 0 means faye's default. */
  constructor(hixie76: boolean, maxLength: number);
  /** The `headers` option; throws on CR or LF, as hybi's does. */
  setHeaders(names: Array<string>, values: Array<string>): void;
  /**
   * Runs the handshake (the response is in `take_output`); returns the
   * failure's message, or null.
   */
  start(
    method: string,
    connection: string | undefined | null,
    upgrade: string | undefined | null,
    origin: string | undefined | null,
    key1: string | undefined | null,
    key2: string | undefined | null,
    url: string
  ): string | null;
  /**
   * Parses `chunk` from `offset` up to its first event (`DRAFT_*`);
   * `next_offset` says where to go on.
   */
  receive(chunk: Uint8Array, offset: number): number;
  get nextOffset(): number;
  /** The last message's bytes (JS decodes them as faye does). */
  takeMessage(): Buffer;
  /** Queues or writes a text frame; false once closed. */
  sendText(text: string): boolean;
  /** The driver's close: false if already closed. */
  close(): boolean;
  /** The bytes to write, or null. */
  takeOutput(): Buffer | null;
  /** The connection closed: frees the buffers now, as `NativeSession::release` does. */
  release(): void;
  get readyState(): number;
}

/** A client's tunnel through an HTTP proxy: reads the answer to CONNECT. */
export declare class NativeProxyConnect {
  constructor();
  /**
   * Returns `HANDSHAKE_PENDING`, `HANDSHAKE_OPEN` (a 200: the tunnel is
   * up; the next protocol's bytes start at `body_offset`) or
   * `HANDSHAKE_FAILED` (any other answer).
   */
  receive(chunk: Uint8Array): number;
  get bodyOffset(): number;
  get statusCode(): number | null;
}

export declare class NativeSession {
  /**
   * Prepares one message for compression on libuv's thread pool
   * (`CompressJob.run`). The compressor goes with it (context takeover
   * stays in order): until the result is given back (`send_compressed`
   * or `restore_compressor`), nothing else may be compressed, and JS
   * queues what follows. Null when there is no compressor here.
   *
   * The task is not returned from here: napi-rs keeps `&mut self`
   * borrowed while a task returned by a method is pending.
   */
  compressJob(data: Buffer): CompressJob | null;
  /**
   * Frames a message compressed by `compress_async` (RSV1 set) and takes
   * its compressor back. False when the session no longer sends.
   */
  sendCompressed(result: CompressedMessage, binary: boolean): boolean;
  /**
   * Takes the compressor back from a `compress_async` result and returns
   * the compressed bytes (the JS pipeline's permessage-deflate stage), or
   * why compression failed.
   */
  restoreCompressor(result: CompressedMessage): Buffer | Failure;
  /** The `headers` option, for the opening handshake; throws on CR or LF. */
  setHeaders(names: Array<string>, values: Array<string>): void;
  /**
   * Registers permessage-deflate (its `configure` options) for the
   * handshake; `level`, `memLevel` and `strategy` are checked here, with
   * Node zlib's messages.
   */
  setDeflate(options: DeflateConfig): void;
  /** Whether permessage-deflate was negotiated in the handshake. */
  get deflateEnabled(): boolean;
  /**
   * Runs the server handshake and returns the bytes to write: the 101
   * response followed by every frame queued before open, or a
   * `HandshakeRejection` with faye's 400 response and the message.
   */
  startServer(
    method: string,
    connection?: string | undefined | null,
    upgrade?: string | undefined | null,
    version?: string | undefined | null,
    key?: string | undefined | null,
    extensions?: string | undefined | null,
    protocol?: string | undefined | null,
    jsNegotiation?: JsNegotiation | undefined | null
  ): Buffer | HandshakeRejection;
  /**
   * Client: the opening handshake request, with a fresh key. Throws on
   * CR or LF.
   */
  startClient(request: ClientRequest): Buffer;
  /**
   * Client: reads bytes of the server's response. Returns
   * `HANDSHAKE_PENDING`, `HANDSHAKE_OPEN` (the session is open; frames
   * start at `body_offset` in this chunk) or the `Failure` (what was
   * queued is discarded).
   */
  receiveHandshake(chunk: Uint8Array): number | Failure;
  /** Client: the response's status code, once its head was read. */
  get statusCode(): number | null;
  /**
   * Client: the response's headers as `[name, value, name, value, ...]`,
   * names lower-cased and repeated headers joined with `", "`.
   */
  get responseHeaders(): Array<string>;
  get bodyOffset(): number;
  /** Client: the subprotocol the server chose, if any. */
  get selectedProtocol(): string | null;
  /**
   * Client: JS has read the response and activated its extensions; the
   * handshake state is freed, as a server's is in `start_server`.
   */
  endHandshake(): void;
  /**
   * Client, JS negotiation: the extension response was refused; what
   * was queued is discarded.
   */
  failHandshake(): void;
  /**
   * Server, JS negotiation: permessage-deflate's response to the offers
   * in this header (its entries for permessage-deflate), or null when it
   * accepts none. Its parameters are used if `start_server` is then
   * given a response that includes it (`use_deflate`).
   */
  deflateServerResponse(header: string): string | null;
  /**
   * Client, JS negotiation: permessage-deflate's offer; throws for bad
   * window bits.
   */
  deflateClientOffer(): string | null;
  /**
   * Client, JS negotiation: permessage-deflate's `activate` for its
   * entry of the response (`name; params` as one header value).
   */
  activateDeflate(entry: string): boolean;
  /**
   * With JS extensions (websocket-extensions' framework): hands messages
   * to the JS pipeline from now on. `allowed_rsv` is the RSV bits of the
   * active extensions, in frame-byte places.
   */
  enablePipeline(allowedRsv: number): void;
  /**
   * A message frame as the JS pipeline left it (opcode 1 or 2, RSV bits
   * in frame-byte places). Written whatever the state.
   */
  sendFrame(opcode: number, rsv: number, data: Uint8Array): void;
  /** A close frame, whatever the state (the JS pipeline has drained). */
  writeClose(code: number, reason: Uint8Array): void;
  /**
   * `close()` with JS extensions: true when open (now closing, the close
   * frame to be written once the pipeline drains).
   */
  beginClosing(): boolean;
  /**
   * After `begin_closing`, once the pipeline has drained: the close
   * frame, unless the connection failed or the peer closed meanwhile
   * (then false).
   */
  finishClosing(code: number, reason: Uint8Array): boolean;
  /**
   * websocket-driver's `_fail` for a failure the JS pipeline found:
   * null when ignored (already closing), else whether a close frame is
   * due (the connection was open).
   */
  shutdown(): boolean | null;
  /**
   * permessage-deflate as a stage of the JS pipeline: compresses one
   * message (no tail), or says why it could not. (A result rather than
   * a throw: an error thrown from a `&mut self` method would leave the
   * object borrowed in napi-rs 3.16.)
   */
  pipelineDeflate(data: Uint8Array): Buffer | Failure;
  /**
   * permessage-deflate as a stage of the JS pipeline: inflates one
   * message, stopping one byte past maxLength, or gives zlib's message
   * for corrupt data.
   */
  pipelineInflate(data: Uint8Array): Buffer | Failure;
  /** `max_length` `MAX_LENGTH_DEFAULT` means faye's default (2^26 − 1). */
  constructor(client: boolean, maxLength: number);
  /**
   * Queues a text frame; returns the payload's byte length, or
   * `NOT_SENT` when the session no longer sends (closing or closed).
   * `units` is the string's `length` (UTF-16 code units). Short strings
   * are written as UTF-8 straight into the session's output by one
   * `napi_get_value_string_utf8`; longer ones (and compressed messages)
   * go through a Rust `String`.
   */
  sendText(text: string, units: number): number;
  /** As `send_text`, for a binary frame. */
  sendBinary(data: Uint8Array): number;
  /**
   * Queues only the header of a binary frame of `length` bytes (server
   * side) and returns the output's length after it: JS writes the payload
   * itself at that point of the output, saving copies of large messages.
   * Null when the frame cannot be sent that way.
   */
  beginBinary(length: number): number | null;
  ping(payload: Uint8Array): boolean;
  /**
   * Starts the closing handshake; false when there was no open connection
   * to send a close frame on.
   */
  close(code: number, reason: Uint8Array): boolean;
  /**
   * How many bytes are queued for the socket.
   * The connection closed: frees the codec state and every buffer now
   * (see `Session::release`); the session ignores any later input.
   */
  release(): void;
  outputLength(): number;
  /**
   * Moves what is queued for the socket into `target` (JS allocates it
   * with `output_length` bytes, from Node's buffer pool when small, which
   * is far cheaper than a Buffer made here); returns the bytes moved.
   */
  takeOutputInto(target: Buffer): number;
  /**
   * Parses `chunk` from `offset` (unmasking it in place) and writes the
   * events to `table`. JS dispatches them and calls again with the offset
   * from the table header until the header says the chunk is done: parsing
   * pauses before a frame that makes the session write (a pong, a close
   * echo, a failure's close frame), so that replies leave after whatever the
   * handlers of earlier messages sent, in the order faye writes them.
   */
  receive(chunk: Buffer, offset: number, table: Uint32Array): number;
  /** The next taken payload (text message, close reason or error message). */
  takeText(): string;
  /** The next taken payload as a Buffer (binary message or pong payload). */
  takeBuffer(): Buffer;
}

/**
 * websocket-driver 0.7.4's choice of driver: `'hixie-75'`, `'hixie-76'`,
 * or null for hybi.
 */
export declare function draftVersion(
  version?: string | undefined | null,
  key?: string | undefined | null,
  key1?: string | undefined | null,
  key2?: string | undefined | null
): string | null;

/**
 * The CONNECT request for a proxy: `authority` is `hostname:port` of the
 * WebSocket URL, `origin_host` its `host`; the credentials come from the
 * proxy URL; `names`/`values` are the `proxy.headers` option. Throws on CR
 * or LF.
 */
export declare function proxyConnectRequest(
  authority: string,
  originHost: string,
  username: string,
  password: string,
  names: Array<string>,
  values: Array<string>
): Buffer;

/**
 * Header lines (`Name: value\r\n`) by websocket-driver's rules, for the
 * EventSource response; throws on CR or LF.
 */
export declare function renderHeaders(names: Array<string>, values: Array<string>): string;

/**
 * The subprotocol the server picks: the first of the client's
 * `Sec-WebSocket-Protocol` list that `supported` contains.
 */
export declare function selectProtocol(offered: string | undefined | null, supported: Array<string>): string | null;

/**
 * websocket-extensions' Parser.parseHeader with the linear-time parser of
 * src/handshake/extension_header.rs; null when the header does not parse.
 */
export declare function parseExtensionHeader(header: string): Array<ExtensionOffer> | null;
