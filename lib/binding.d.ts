// The native addon as lib/ uses it: what `require('./binding')` returns.
// Written by hand from src/bindings.rs (the `#[napi]` items) for `tsc
// --checkJs` (tsconfig.json); keep it in step with that file until the
// declarations are generated from it. Methods that may throw say so.

/** The event table's header size and per-event slot count; event kinds; payload places. */
export const TABLE_HEADER: number;
export const EVENT_SLOTS: number;
export const EVENT_TEXT: number;
export const EVENT_BINARY: number;
export const EVENT_PONG: number;
export const EVENT_CLOSE: number;
export const EVENT_ERROR: number;
export const EVENT_RAW: number;
export const EVENT_SHUTDOWN: number;
export const PAYLOAD_IN_CHUNK: number;
export const PAYLOAD_TAKEN: number;
/** What `receiveHandshake` and `NativeProxyConnect.receive` return. */
export const HANDSHAKE_PENDING: number;
export const HANDSHAKE_OPEN: number;
export const HANDSHAKE_FAILED: number;

/** The rest of the contract (src/bindings/mod.rs). */
export const TABLE_NEXT_OFFSET: number;
export const TABLE_STATUS: number;
export const TABLE_OUTPUT_PENDING: number;
export const CHUNK_PAUSED: number;
export const CHUNK_DONE: number;
export const CHUNK_YIELD: number;
export const RAW_TAKEN: number;
export const RAW_BINARY: number;
export const SHUTDOWN_ERROR: number;
export const SHUTDOWN_SEND_FRAME: number;
export const RSV1: number;
export const RSV2: number;
export const RSV3: number;
export const DEFAULT_MAX_LENGTH: number;
export const NOT_SENT: number;
export const MAX_LENGTH_DEFAULT: number;
export const CONNECTING: number;
export const OPEN: number;
export const CLOSING: number;
export const CLOSED: number;
export const OPCODE_TEXT: number;
export const OPCODE_BINARY: number;
export const CLOSE_NORMAL: number;
export const CLOSE_PROTOCOL_ERROR: number;
export const CLOSE_UNACCEPTABLE: number;
export const CLOSE_ABNORMAL: number;
export const CLOSE_POLICY_VIOLATION: number;
export const CLOSE_EXTENSION_ERROR: number;
export const CLOSE_TOO_LARGE: number;
export const CLOSE_ENCODING_ERROR: number;
export const TOO_LARGE_MESSAGE: string;
export const INVALID_UTF8_MESSAGE: string;
export const HANDSHAKE_FAILURE_PREFIX: string;

/** The server handshake's extensions as JS negotiated them. */
export interface JsNegotiation {
  response?: string;
  error?: string;
  useDeflate: boolean;
  allowedRsv: number;
}

/** `setDeflate`'s options: permessage-deflate's `configure` options, null when not given. */
export interface DeflateConfig {
  level: number | null;
  memLevel: number | null;
  strategy: number | null;
  noContextTakeover: boolean;
  maxWindowBits: number | null;
  requestNoContextTakeover: boolean;
  requestMaxWindowBits: number | null;
}

/** `startClient`'s request. */
export interface ClientRequest {
  path: string;
  host: string;
  username: string;
  password: string;
  protocolHeader: string | null;
  protocols: string[];
  jsOffer: JsOffer | null;
}

/** A failed handshake or pipeline stage: the message for the error. */
export interface Failure {
  message: string;
}

/** `startServer`'s refusal: faye's 400 response and the error's message. */
export interface HandshakeRejection {
  response: Buffer;
  message: string;
}

/** The client's extension offer as JS made it. */
export interface JsOffer {
  offer?: string;
}

/** One message for libuv's thread pool, with the session's compressor. */
export class CompressJob {
  private constructor();
  /** Resolves once compressed; a second call rejects. */
  run(): Promise<CompressedMessage>;
}

/** A `CompressJob`'s result; give it back to `sendCompressed` or `restoreCompressor`. */
export class CompressedMessage {
  private constructor();
}

export class NativeSession {
  /** `maxLength` 0 means faye's default. */
  constructor(client: boolean, maxLength: number);

  readonly deflateEnabled: boolean;

  // Options, before the handshake.
  /** Throws on CR or LF. */
  setHeaders(names: string[], values: string[]): void;
  /** permessage-deflate's `configure` options; throws for values zlib refuses. */
  setDeflate(options: DeflateConfig): void;

  // Server handshake: the bytes to write (101 and queued frames, or faye's 400).
  startServer(
    method: string,
    connection: string | null,
    upgrade: string | null,
    version: string | null,
    key: string | null,
    extensions: string | null,
    protocol: string | null,
    negotiation: JsNegotiation | null
  ): Buffer | HandshakeRejection;

  // Client handshake.
  /** The request bytes; throws on CR or LF. */
  startClient(request: ClientRequest): Buffer;
  receiveHandshake(chunk: Buffer): number | Failure;
  readonly statusCode: number | null;
  /** [name, value, name, value, …], lower-cased names. */
  readonly responseHeaders: string[];
  readonly bodyOffset: number;
  readonly selectedProtocol: string | null;
  endHandshake(): void;
  failHandshake(): void;

  // Receiving: one call per chunk, events written to `table`.
  /** The number of events written. */
  receive(chunk: Buffer, offset: number, table: Uint32Array): number;
  takeText(): string;
  takeBuffer(): Buffer;

  // Sending.
  /** The payload's byte length, or −1 when the session no longer sends. */
  sendText(text: string, units: number): number;
  sendBinary(data: Buffer): number;
  /** The output's length after the frame header, or null when the payload cannot be written directly. */
  beginBinary(length: number): number | null;
  ping(payload: Buffer): boolean;
  close(code: number, reason: Buffer): boolean;
  outputLength(): number;
  takeOutputInto(target: Buffer): number;

  // Compression off the JS thread.
  compressJob(data: Buffer): CompressJob | null;
  sendCompressed(result: CompressedMessage, binary: boolean): boolean;

  // JS extensions.
  enablePipeline(allowedRsv: number): void;
  deflateServerResponse(header: string): string | null;
  /** Throws for bad window bits. */
  deflateClientOffer(): string | null;
  activateDeflate(entry: string): boolean;
  sendFrame(opcode: number, rsv: number, data: Buffer): void;
  writeClose(code: number, reason: Buffer): void;
  beginClosing(): boolean;
  /** After beginClosing, the pipeline drained: false (nothing written) when it failed or the peer closed meanwhile. */
  finishClosing(code: number, reason: Buffer): boolean;
  /** null when already closing, else whether a close frame is due. */
  shutdown(): boolean | null;
  pipelineDeflate(data: Buffer): Buffer | Failure;
  pipelineInflate(data: Buffer): Buffer | Failure;
  restoreCompressor(result: CompressedMessage): Buffer | Failure;
}

/** Reads a proxy's answer to CONNECT. */
export class NativeProxyConnect {
  constructor();
  receive(chunk: Buffer): number;
  readonly bodyOffset: number;
  readonly statusCode: number | null;
}

/** The CONNECT request; throws on CR or LF. */
export function proxyConnectRequest(
  authority: string,
  originHost: string,
  username: string,
  password: string,
  names: string[],
  values: string[]
): Buffer;

/** Header lines by websocket-driver's rules; throws on CR or LF. */
export function renderHeaders(names: string[], values: string[]): string;

export function selectProtocol(offered: string | null, supported: string[]): string | null;

export interface ExtensionParam {
  key: string;
  value: boolean | number | string;
}

export interface ExtensionOffer {
  name: string;
  params: ExtensionParam[];
}

/** null when the header does not parse. */
export function parseExtensionHeader(header: string): ExtensionOffer[] | null;
