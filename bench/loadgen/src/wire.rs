//! The client side of the WebSocket wire protocol, written for the load
//! generator: HTTP upgrade, masked frames out, unmasked frames in, and
//! permessage-deflate (RFC 7692) on flate2, which tungstenite lacks.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Buf, BytesMut};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::handshake::{client::generate_key, derive_accept_key};

pub const OP_CONT: u8 = 0x0;
pub const OP_TEXT: u8 = 0x1;
pub const OP_BINARY: u8 = 0x2;
pub const OP_CLOSE: u8 = 0x8;
pub const OP_PING: u8 = 0x9;
pub const OP_PONG: u8 = 0xA;

pub fn err<T>(msg: impl Into<String>) -> io::Result<T> {
    Err(io::Error::other(msg.into()))
}

/// Connects to `addr`, from the source address `src` if given (any address
/// in 127.0.0.0/8 works on Linux: each has its own ephemeral port range).
pub async fn tcp_connect(addr: SocketAddr, src: Option<std::net::IpAddr>) -> io::Result<TcpStream> {
    let sock = TcpSocket::new_v4()?;
    if let Some(ip) = src {
        sock.bind(SocketAddr::new(ip, 0))?;
    }
    let stream = tokio::time::timeout(Duration::from_secs(10), sock.connect(addr))
        .await
        .map_err(|_| io::Error::other("connect timed out"))??;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Reads an HTTP response head (bounded to 16 KiB); returns (head, bytes after it).
pub async fn read_http_head(s: &mut TcpStream) -> io::Result<(String, BytesMut)> {
    let mut buf = BytesMut::with_capacity(1024);
    loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = buf.split_to(pos + 4);
            return Ok((String::from_utf8_lossy(&head).into_owned(), buf));
        }
        if buf.len() > 16 * 1024 {
            return err("response head over 16 KiB");
        }
        let n = tokio::time::timeout(Duration::from_secs(10), s.read_buf(&mut buf))
            .await
            .map_err(|_| io::Error::other("response head timed out"))??;
        if n == 0 {
            return err("connection closed during handshake");
        }
    }
}

pub fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").skip(1).find_map(|line| {
        let (k, v) = line.split_once(':')?;
        if k.trim().eq_ignore_ascii_case(name) {
            Some(v.trim())
        } else {
            None
        }
    })
}

/// The opening handshake. Returns the leftover bytes and the server's
/// Sec-WebSocket-Extensions value, if any.
pub async fn handshake(
    s: &mut TcpStream,
    host: &str,
    path: &str,
    extensions: Option<&str>,
) -> io::Result<(BytesMut, Option<String>)> {
    let key = generate_key();
    let mut req = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
    );
    if let Some(ext) = extensions {
        req.push_str(&format!("Sec-WebSocket-Extensions: {ext}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await?;
    let (head, rest) = read_http_head(s).await?;
    let status = head.split("\r\n").next().unwrap_or("");
    if !status.starts_with("HTTP/1.1 101") {
        return err(format!("handshake refused: {status}"));
    }
    let accept = derive_accept_key(key.as_bytes());
    if header(&head, "sec-websocket-accept") != Some(accept.as_str()) {
        return err("bad Sec-WebSocket-Accept");
    }
    Ok((rest, header(&head, "sec-websocket-extensions").map(str::to_owned)))
}

/// XOR with the 4-byte key, 8 bytes at a time.
pub fn apply_mask(buf: &mut [u8], key: [u8; 4]) {
    let k32 = u32::from_ne_bytes(key) as u64;
    let k64 = k32 | (k32 << 32);
    let (chunks, rest) = buf.as_chunks_mut::<8>();
    for c in chunks {
        *c = (u64::from_ne_bytes(*c) ^ k64).to_ne_bytes();
    }
    for (i, b) in rest.iter_mut().enumerate() {
        *b ^= key[i & 3];
    }
}

/// xorshift64*: mask keys need not be cryptographic for a load generator,
/// but they must vary (some servers skip unmasking a zero key).
pub struct Rng(u64);
impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn mask(&mut self) -> [u8; 4] {
        loop {
            let m = (self.next() >> 32) as u32;
            if m != 0 {
                return m.to_ne_bytes();
            }
        }
    }
}

/// Appends one masked, final frame.
pub fn encode_frame(out: &mut Vec<u8>, opcode: u8, rsv1: bool, payload: &[u8], key: [u8; 4]) {
    out.push(0x80 | if rsv1 { 0x40 } else { 0 } | opcode);
    let len = payload.len();
    if len < 126 {
        out.push(0x80 | len as u8);
    } else if len < 65536 {
        out.push(0x80 | 126);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0x80 | 127);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&key);
    let start = out.len();
    out.extend_from_slice(payload);
    apply_mask(&mut out[start..], key);
}

pub struct Frame {
    pub fin: bool,
    pub rsv1: bool,
    pub opcode: u8,
    pub payload: BytesMut,
}

/// Takes one complete frame off the front of `buf`, if there is one.
/// Server frames must not be masked.
pub fn decode_frame(buf: &mut BytesMut, max: usize) -> io::Result<Option<Frame>> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let b0 = buf[0];
    let b1 = buf[1];
    if b1 & 0x80 != 0 {
        return err("server frame is masked");
    }
    if b0 & 0x30 != 0 {
        return err("RSV2/RSV3 set");
    }
    let (len, hlen) = match b1 & 0x7f {
        126 => {
            if buf.len() < 4 {
                return Ok(None);
            }
            (u16::from_be_bytes([buf[2], buf[3]]) as u64, 4)
        }
        127 => {
            if buf.len() < 10 {
                return Ok(None);
            }
            (u64::from_be_bytes(buf[2..10].try_into().unwrap()), 10)
        }
        n => (n as u64, 2),
    };
    if len > max as u64 {
        return err(format!("frame of {len} bytes over the limit"));
    }
    let total = hlen + len as usize;
    if buf.len() < total {
        buf.reserve(total - buf.len());
        return Ok(None);
    }
    buf.advance(hlen);
    let payload = buf.split_to(len as usize);
    Ok(Some(Frame { fin: b0 & 0x80 != 0, rsv1: b0 & 0x40 != 0, opcode: b0 & 0x0f, payload }))
}

/// Negotiated permessage-deflate parameters (client view).
#[derive(Clone, Copy, Debug)]
pub struct DeflateParams {
    pub client_window_bits: u8,
    pub client_no_context_takeover: bool,
    pub server_no_context_takeover: bool,
}

/// What we offer: RFC 7692 with `client_max_window_bits` (no value).
pub const DEFLATE_OFFER: &str = "permessage-deflate; client_max_window_bits";

pub fn parse_deflate_response(ext: Option<&str>) -> io::Result<Option<DeflateParams>> {
    let Some(ext) = ext else { return Ok(None) };
    let mut params = None;
    for offer in ext.split(',') {
        let mut parts = offer.split(';').map(str::trim);
        if parts.next() != Some("permessage-deflate") {
            return err(format!("server accepted an extension we did not offer: {offer}"));
        }
        let mut p = DeflateParams {
            client_window_bits: 15,
            client_no_context_takeover: false,
            server_no_context_takeover: false,
        };
        for kv in parts {
            let (k, v) = kv.split_once('=').map(|(k, v)| (k.trim(), Some(v.trim().trim_matches('"')))).unwrap_or((kv, None));
            match k {
                "client_max_window_bits" => {
                    if let Some(v) = v {
                        let bits: u8 = v.parse().map_err(|_| io::Error::other("bad client_max_window_bits"))?;
                        if !(8..=15).contains(&bits) {
                            return err("bad client_max_window_bits");
                        }
                        // zlib cannot make an 8-bit raw window; 9 would overrun a peer using 8.
                        p.client_window_bits = bits.max(9);
                    }
                }
                "server_max_window_bits" => {} // our inflater uses 15, which covers any
                "client_no_context_takeover" => p.client_no_context_takeover = true,
                "server_no_context_takeover" => p.server_no_context_takeover = true,
                _ => return err(format!("unknown permessage-deflate parameter {k}")),
            }
        }
        params = Some(p);
    }
    Ok(params)
}

pub struct Deflater {
    c: Compress,
    no_takeover: bool,
}

impl Deflater {
    pub fn new(p: &DeflateParams, level: u32) -> Self {
        Deflater {
            c: Compress::new_with_window_bits(Compression::new(level), false, p.client_window_bits),
            no_takeover: p.client_no_context_takeover,
        }
    }
    /// Compresses one message into `out` (cleared first), sync-flushed, with
    /// the trailing 00 00 ff ff removed.
    pub fn compress(&mut self, input: &[u8], out: &mut Vec<u8>) -> io::Result<()> {
        out.clear();
        let mut consumed = 0usize;
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve(input.len() / 2 + 1024);
            }
            let before = self.c.total_in();
            self.c
                .compress_vec(&input[consumed..], out, FlushCompress::Sync)
                .map_err(io::Error::other)?;
            consumed += (self.c.total_in() - before) as usize;
            if consumed == input.len() && out.len() < out.capacity() {
                break;
            }
        }
        if !out.ends_with(&[0, 0, 0xff, 0xff]) {
            return err("deflate output lacks the sync-flush tail");
        }
        out.truncate(out.len() - 4);
        if self.no_takeover {
            self.c.reset();
        }
        Ok(())
    }
}

pub struct Inflater {
    d: Decompress,
    no_takeover: bool,
    input: Vec<u8>,
}

impl Inflater {
    pub fn new(p: &DeflateParams) -> Self {
        Inflater {
            d: Decompress::new_with_window_bits(false, 15),
            no_takeover: p.server_no_context_takeover,
            input: Vec::new(),
        }
    }
    /// Inflates one compressed message (all its frames' payloads joined),
    /// appending the 00 00 ff ff tail; `out` is cleared first.
    pub fn inflate(&mut self, payload: &[u8], out: &mut Vec<u8>, max: usize) -> io::Result<()> {
        self.input.clear();
        self.input.extend_from_slice(payload);
        self.input.extend_from_slice(&[0, 0, 0xff, 0xff]);
        out.clear();
        let mut consumed = 0usize;
        loop {
            if out.capacity() - out.len() < 256 {
                out.reserve((payload.len() * 4).max(4096));
            }
            let before = self.d.total_in();
            self.d
                .decompress_vec(&self.input[consumed..], out, FlushDecompress::Sync)
                .map_err(io::Error::other)?;
            consumed += (self.d.total_in() - before) as usize;
            if out.len() > max {
                return err("inflated message over the limit");
            }
            if consumed == self.input.len() && out.len() < out.capacity() {
                break;
            }
        }
        if self.no_takeover {
            self.d.reset(false);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mask_roundtrip() {
        let mut v: Vec<u8> = (0..1003u32).map(|i| i as u8).collect();
        let orig = v.clone();
        apply_mask(&mut v[3..], [1, 2, 3, 4]);
        for (i, b) in v[3..].iter().enumerate() {
            assert_eq!(*b, orig[3 + i] ^ [1, 2, 3, 4][i % 4]);
        }
    }

    #[test]
    fn deflate_roundtrip_with_takeover() {
        let p = DeflateParams { client_window_bits: 15, client_no_context_takeover: false, server_no_context_takeover: false };
        let mut d = Deflater::new(&p, 1);
        let mut i = Inflater::new(&p);
        let (mut c, mut o) = (Vec::new(), Vec::new());
        for n in 0..20 {
            let msg: Vec<u8> = format!("{{\"n\":{n},\"name\":\"x\"}}").repeat(1000).into_bytes();
            d.compress(&msg, &mut c).unwrap();
            assert!(c.len() < msg.len() / 10);
            i.inflate(&c, &mut o, 1 << 24).unwrap();
            assert_eq!(o, msg);
        }
    }

    #[test]
    fn parse_ext() {
        let p = parse_deflate_response(Some("permessage-deflate; client_max_window_bits=10; server_no_context_takeover"))
            .unwrap()
            .unwrap();
        assert_eq!(p.client_window_bits, 10);
        assert!(p.server_no_context_takeover);
        assert!(parse_deflate_response(Some("x-foo")).is_err());
    }

    #[test]
    fn frames() {
        let mut out = Vec::new();
        encode_frame(&mut out, OP_BINARY, false, &[7u8; 70000], [9, 8, 7, 6]);
        assert_eq!(out[1], 0x80 | 127);
        // An unmasked server frame
        let mut b = BytesMut::from(&[0x81u8, 3, b'a', b'b', b'c', 0x82][..]);
        let f = decode_frame(&mut b, 100).unwrap().unwrap();
        assert_eq!((f.opcode, &f.payload[..]), (OP_TEXT, &b"abc"[..]));
        assert!(decode_frame(&mut b, 100).unwrap().is_none());
    }
}
