'use strict';
// Hand-made WebSocket frames (RFC 6455 §5.2) and a parser for what a server
// sends back. Nothing here is taken from the code under test.

const DEFAULT_MASK = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);

function toBuffer(payload) {
  if (payload === undefined || payload === null) return Buffer.alloc(0);
  if (Buffer.isBuffer(payload)) return payload;
  if (payload instanceof Uint8Array) return Buffer.from(payload);
  return Buffer.from(String(payload), 'utf8');
}

/**
 * Build one frame.
 * opts: opcode (default 1), payload (string|Buffer), fin (default true),
 * rsv1/rsv2/rsv3, mask (true|false|Buffer of 4; default true),
 * length: the length announced in the header (default payload.length; may lie),
 * lengthForm: 7 | 16 | 64 (default: the minimal form for `length`),
 * headerOnly: write the header (and mask key) but no payload.
 */
function frame(opts = {}) {
  const payload = toBuffer(opts.payload);
  const opcode = opts.opcode === undefined ? 1 : opts.opcode;
  const fin = opts.fin === undefined ? true : !!opts.fin;
  const length = opts.length === undefined ? payload.length : opts.length;
  let form = opts.lengthForm;
  if (!form) form = length <= 125 ? 7 : length <= 0xffff ? 16 : 64;

  let maskKey = null;
  if (opts.mask === undefined || opts.mask === true) maskKey = DEFAULT_MASK;
  else if (Buffer.isBuffer(opts.mask)) maskKey = opts.mask;

  const b0 =
    (fin ? 0x80 : 0) | (opts.rsv1 ? 0x40 : 0) | (opts.rsv2 ? 0x20 : 0) | (opts.rsv3 ? 0x10 : 0) | (opcode & 0x0f);
  const parts = [];
  const maskBit = maskKey ? 0x80 : 0;
  if (form === 7) {
    parts.push(Buffer.from([b0, maskBit | Number(length)]));
  } else if (form === 16) {
    const h = Buffer.alloc(4);
    h[0] = b0;
    h[1] = maskBit | 126;
    h.writeUInt16BE(Number(length), 2);
    parts.push(h);
  } else {
    const h = Buffer.alloc(10);
    h[0] = b0;
    h[1] = maskBit | 127;
    h.writeBigUInt64BE(BigInt(length), 2);
    parts.push(h);
  }
  if (maskKey) parts.push(maskKey);
  if (!opts.headerOnly) {
    const body = Buffer.from(payload);
    if (maskKey) for (let i = 0; i < body.length; i++) body[i] ^= maskKey[i & 3];
    parts.push(body);
  }
  return Buffer.concat(parts);
}

const text = (s, o = {}) => frame({ ...o, opcode: 1, payload: s });
const binary = (b, o = {}) => frame({ ...o, opcode: 2, payload: b });
const ping = (p, o = {}) => frame({ ...o, opcode: 9, payload: p });
const pong = (p, o = {}) => frame({ ...o, opcode: 10, payload: p });
const cont = (p, o = {}) => frame({ ...o, opcode: 0, payload: p });

/** A close frame. code undefined → empty payload; reason string or Buffer. */
function close(code, reason, o = {}) {
  let payload = Buffer.alloc(0);
  if (code !== undefined) {
    const c = Buffer.alloc(2);
    c.writeUInt16BE(code, 0);
    payload = Buffer.concat([c, toBuffer(reason)]);
  }
  return frame({ ...o, opcode: 8, payload });
}

/**
 * Parse complete frames from `buf`. Returns { frames, rest } where rest holds
 * the bytes of an incomplete trailing frame. Each frame is a plain object:
 * { fin, rsv1, rsv2, rsv3, opcode, masked, length, payload (unmasked Buffer) }
 * and for close frames also { code, reason }.
 */
function parseFrames(buf) {
  const frames = [];
  let off = 0;
  while (buf.length - off >= 2) {
    const b0 = buf[off];
    const b1 = buf[off + 1];
    let len = b1 & 0x7f;
    let p = off + 2;
    if (len === 126) {
      if (buf.length - p < 2) break;
      len = buf.readUInt16BE(p);
      p += 2;
    } else if (len === 127) {
      if (buf.length - p < 8) break;
      len = Number(buf.readBigUInt64BE(p));
      p += 8;
    }
    const masked = !!(b1 & 0x80);
    let key = null;
    if (masked) {
      if (buf.length - p < 4) break;
      key = buf.subarray(p, p + 4);
      p += 4;
    }
    if (buf.length - p < len) break;
    const payload = Buffer.from(buf.subarray(p, p + len));
    if (key) for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
    const f = {
      fin: !!(b0 & 0x80),
      rsv1: !!(b0 & 0x40),
      rsv2: !!(b0 & 0x20),
      rsv3: !!(b0 & 0x10),
      opcode: b0 & 0x0f,
      masked,
      length: len,
      payload,
    };
    if (f.opcode === 8) {
      f.code = payload.length >= 2 ? payload.readUInt16BE(0) : null;
      f.reason = payload.length > 2 ? payload.subarray(2).toString('utf8') : '';
    }
    frames.push(f);
    off = p + len;
  }
  return { frames, rest: buf.subarray(off) };
}

/** A readable, comparable summary of a frame. */
function describe(f) {
  const d = {
    fin: f.fin,
    rsv: (f.rsv1 ? 4 : 0) | (f.rsv2 ? 2 : 0) | (f.rsv3 ? 1 : 0),
    opcode: f.opcode,
    masked: f.masked,
    length: f.length,
  };
  if (f.opcode === 8) {
    d.code = f.code;
    d.reason = f.reason;
  } else if (f.payload.length > 64) {
    d.sha1 = require('crypto').createHash('sha1').update(f.payload).digest('hex');
  } else if (f.opcode === 1) d.text = f.payload.toString('utf8');
  else d.hex = f.payload.toString('hex');
  return d;
}

module.exports = { frame, text, binary, ping, pong, cont, close, parseFrames, describe, DEFAULT_MASK };
