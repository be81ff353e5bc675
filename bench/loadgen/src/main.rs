//! Load generator for the faye-websocket-native benchmarks (bench/run.js
//! drives it). Single-threaded tokio; pin it to its own core.
//!
//!   loadgen echo    --port P [--conns 50 --inflight 16 --size 32 --text|--binary|--json]
//!                   [--deflate] [--engine raw|tungstenite] [--warmup 1 --duration 5 | --messages N]
//!   loadgen raw     --port P [--conns 10 --inflight 4 --size 16384]   (byte echo on plain TCP)
//!   loadgen connect --port P [--conc 32 --warmup 1 --duration 5]      (connect, one echo, close)
//!   loadgen idle    --port P [--conns 10000 --hold 60] [--tcp]        (hold N open; stdin line releases)
//!   loadgen sse     --port P [--conns 1000 --size 64 --warmup 1 --duration 5]
//!
//! Progress marks go to stderr as lines `MARK start`, `MARK end`, `MARK idle <n>`
//! (the runner samples the server's CPU and memory there); the result is one
//! JSON object on stdout. Every loop is bounded in time.

mod wire;

use std::collections::HashMap;
use std::io::{self, Write as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{watch, Semaphore};
use tokio_tungstenite::tungstenite::Message;

use wire::*;

// ---------------------------------------------------------------- options

struct Opts(HashMap<String, String>);

impl Opts {
    fn parse(args: &[String]) -> Opts {
        let mut m = HashMap::new();
        let mut i = 0;
        while i < args.len() {
            let a = args[i].trim_start_matches("--").to_string();
            if i + 1 < args.len() && !args[i + 1].starts_with("--") {
                m.insert(a, args[i + 1].clone());
                i += 2;
            } else {
                m.insert(a, "true".into());
                i += 1;
            }
        }
        Opts(m)
    }
    fn num(&self, k: &str, d: f64) -> f64 {
        self.0.get(k).map(|v| v.parse().unwrap_or_else(|_| die(&format!("--{k}: not a number: {v}")))).unwrap_or(d)
    }
    fn int(&self, k: &str, d: u64) -> u64 {
        self.num(k, d as f64) as u64
    }
    fn flag(&self, k: &str) -> bool {
        self.0.contains_key(k)
    }
    fn str(&self, k: &str, d: &str) -> String {
        self.0.get(k).cloned().unwrap_or_else(|| d.into())
    }
}

fn die(msg: &str) -> ! {
    eprintln!("loadgen: {msg}");
    std::process::exit(2)
}

fn mark(what: &str) {
    let mut e = io::stderr().lock();
    let _ = writeln!(e, "MARK {what}");
    let _ = e.flush();
}

/// utime + stime of this process, seconds (Linux; 0 elsewhere).
fn self_cpu() -> f64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else { return 0.0 };
    let Some(rest) = s.rfind(')').map(|i| &s[i + 2..]) else { return 0.0 };
    let f: Vec<&str> = rest.split(' ').collect();
    let t = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // fields 14 and 15 of stat are 11 and 12 after "state"
    (t(11) + t(12)) / 100.0
}

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

// ---------------------------------------------------------------- shared state

#[derive(Default)]
struct Stats {
    received: AtomicU64,
    connected: AtomicU64,
    errors: AtomicU64,
    mismatches: AtomicU64,
    first_error: Mutex<Option<String>>,
    /// Messages received per connection (echo): shows stalled connections.
    per_conn: Mutex<Vec<Arc<AtomicU64>>>,
    window_spread: Mutex<(u64, u64)>,
}

impl Stats {
    fn error(&self, e: impl std::fmt::Display) {
        self.errors.fetch_add(1, Relaxed);
        let mut f = self.first_error.lock().unwrap();
        if f.is_none() {
            *f = Some(e.to_string());
        }
    }
    fn mismatch(&self, what: String) {
        self.mismatches.fetch_add(1, Relaxed);
        self.error(what);
    }
    fn first_error(&self) -> String {
        self.first_error.lock().unwrap().clone().unwrap_or_default()
    }
}

/// Source addresses in 127.0.0.0/8, so that many connections to one port
/// never run out of ephemeral ports.
fn src_ip(n: u64, count: u64) -> Option<IpAddr> {
    if count <= 1 {
        return None;
    }
    let i = (n % count) as u32 + 1;
    Some(IpAddr::V4(Ipv4Addr::new(127, ((i >> 16) & 0xff) as u8, ((i >> 8) & 0xff) as u8, (i & 0xff) as u8)))
}

// ---------------------------------------------------------------- payloads

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Binary,
    Json,
}

/// Message `seq` of connection `conn`: a 16-hex-digit stamp of (conn, seq),
/// then a window of a fixed pattern that shifts with seq. Cheap to make and
/// to check byte for byte; the stamp makes reordering visible.
struct Payloads {
    base: Vec<u8>,
    size: usize,
}

impl Payloads {
    fn new(kind: Kind, size: usize) -> Payloads {
        let n = size + 256;
        let mut base = Vec::with_capacity(n + 128);
        match kind {
            Kind::Binary => {
                let mut r = Rng::new(42);
                while base.len() < n {
                    base.extend_from_slice(&r.next().to_le_bytes());
                }
            }
            Kind::Text => {
                let alphabet = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-";
                let mut r = Rng::new(7);
                while base.len() < n {
                    base.push(alphabet[(r.next() % alphabet.len() as u64) as usize]);
                }
            }
            Kind::Json => {
                // Compressible, JSON-like: records that repeat in shape with varying values.
                let names = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"];
                let mut i = 0u64;
                let mut r = Rng::new(3);
                while base.len() < n {
                    let rec = format!(
                        "{{\"id\":{},\"user\":\"{}-{}\",\"active\":{},\"score\":{}.{},\"tags\":[\"{}\",\"{}\"]}},",
                        1000 + i,
                        names[(i % 6) as usize],
                        r.next() % 1000,
                        i % 3 == 0,
                        r.next() % 100,
                        r.next() % 10,
                        names[(i % 4) as usize],
                        names[(i % 5) as usize]
                    );
                    base.extend_from_slice(rec.as_bytes());
                    i += 1;
                }
            }
        }
        base.truncate(n);
        Payloads { base, size }
    }

    fn stamp(conn: u64, seq: u64) -> [u8; 16] {
        let v = (conn << 40) | (seq & 0xff_ffff_ffff);
        let mut s = [0u8; 16];
        for (i, b) in s.iter_mut().enumerate() {
            *b = b"0123456789abcdef"[((v >> (60 - 4 * i)) & 0xf) as usize];
        }
        s
    }

    fn fill(&self, conn: u64, seq: u64, out: &mut Vec<u8>) {
        out.clear();
        let off = (seq % 251) as usize;
        out.extend_from_slice(&self.base[off..off + self.size]);
        let k = self.size.min(16);
        out[..k].copy_from_slice(&Self::stamp(conn, seq)[..k]);
    }

    fn check(&self, conn: u64, seq: u64, got: &[u8]) -> bool {
        if got.len() != self.size {
            return false;
        }
        let off = (seq % 251) as usize;
        let k = self.size.min(16);
        got[..k] == Self::stamp(conn, seq)[..k] && got[k..] == self.base[off + k..off + self.size]
    }
}

// ---------------------------------------------------------------- echo (raw engine, and plain TCP)

struct EchoCfg {
    addr: SocketAddr,
    host: String,
    path: String,
    inflight: usize,
    kind: Kind,
    payloads: Payloads,
    deflate: bool,
    level: u32,
    framing: bool, // false: plain TCP byte echo
    max: usize,
}

/// Waits for at least one in-flight credit (None once stopping) and takes
/// the others already free, up to 64: that many messages go in one write.
async fn take_credits(stop: &mut watch::Receiver<bool>, sem: &Semaphore) -> Option<usize> {
    if *stop.borrow() {
        return None;
    }
    tokio::select! {
        biased;
        _ = stop.changed() => return None,
        p = sem.acquire() => p.ok()?.forget(),
    }
    let mut n = 1;
    while n < 64 && sem.try_acquire().map(|p| p.forget()).is_ok() {
        n += 1;
    }
    Some(n)
}

async fn echo_conn(id: u64, cfg: Arc<EchoCfg>, stats: Arc<Stats>, mut stop: watch::Receiver<bool>) -> io::Result<()> {
    let mut stream = tcp_connect(cfg.addr, None).await?;
    let (leftover, params) = if cfg.framing {
        let (rest, ext) = handshake(&mut stream, &cfg.host, &cfg.path, cfg.deflate.then_some(DEFLATE_OFFER)).await?;
        let params = parse_deflate_response(ext.as_deref())?;
        if cfg.deflate && params.is_none() {
            return err("server did not accept permessage-deflate");
        }
        (rest, params)
    } else {
        (BytesMut::new(), None)
    };
    stats.connected.fetch_add(1, Relaxed);
    let (mut rd, mut wr) = stream.into_split();
    let sem = Arc::new(Semaphore::new(cfg.inflight));
    let sent = Arc::new(AtomicU64::new(0));
    let recv = Arc::new(AtomicU64::new(0));
    stats.per_conn.lock().unwrap().push(recv.clone());
    let stopping = Arc::new(AtomicBool::new(false));

    let writer = {
        let (cfg, sem, sent, recv, stopping) = (cfg.clone(), sem.clone(), sent.clone(), recv.clone(), stopping.clone());
        tokio::spawn(async move {
            let mut rng = Rng::new(id + 1);
            let mut deflater = params.as_ref().map(|p| Deflater::new(p, cfg.level));
            let (mut wbuf, mut msg, mut comp) = (Vec::new(), Vec::new(), Vec::new());
            let op = if cfg.kind == Kind::Binary { OP_BINARY } else { OP_TEXT };
            let mut seq = 0u64;
            while let Some(n) = take_credits(&mut stop, &sem).await {
                for _ in 0..n {
                    cfg.payloads.fill(id, seq, &mut msg);
                    if !cfg.framing {
                        wbuf.extend_from_slice(&msg);
                    } else if let Some(d) = deflater.as_mut() {
                        d.compress(&msg, &mut comp)?;
                        encode_frame(&mut wbuf, op, true, &comp, rng.mask());
                    } else {
                        encode_frame(&mut wbuf, op, false, &msg, rng.mask());
                    }
                    seq += 1;
                }
                sent.store(seq, Relaxed);
                wr.write_all(&wbuf).await?;
                wbuf.clear();
            }
            stopping.store(true, Relaxed);
            // Let what is in flight come back (bounded), then close.
            let t0 = Instant::now();
            while recv.load(Relaxed) < seq && t0.elapsed() < Duration::from_secs(5) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            if cfg.framing {
                let mut close = Vec::new();
                encode_frame(&mut close, OP_CLOSE, false, &1000u16.to_be_bytes(), rng.mask());
                wr.write_all(&close).await?;
            }
            let _ = wr.shutdown().await;
            io::Result::Ok(())
        })
    };

    let reader = async {
        let mut buf = leftover;
        let mut next = 0u64;
        let mut inflater = params.as_ref().map(Inflater::new);
        let mut inflated = Vec::new();
        let mut frag: Option<(u8, bool, BytesMut)> = None;
        let want_op = if cfg.kind == Kind::Binary { OP_BINARY } else { OP_TEXT };
        let size = cfg.payloads.size;
        let mut got_close = false;
        loop {
            if cfg.framing {
                while let Some(f) = decode_frame(&mut buf, cfg.max)? {
                    let whole = match f.opcode {
                        OP_TEXT | OP_BINARY => {
                            if frag.is_some() {
                                return err("new message inside a fragmented one");
                            }
                            if f.fin {
                                Some((f.opcode, f.rsv1, f.payload))
                            } else {
                                frag = Some((f.opcode, f.rsv1, f.payload));
                                None
                            }
                        }
                        OP_CONT => {
                            let Some((op, rsv1, mut acc)) = frag.take() else { return err("stray continuation") };
                            acc.extend_from_slice(&f.payload);
                            if acc.len() > cfg.max {
                                return err("message over the limit");
                            }
                            if f.fin {
                                Some((op, rsv1, acc))
                            } else {
                                frag = Some((op, rsv1, acc));
                                None
                            }
                        }
                        OP_CLOSE => {
                            got_close = true;
                            None
                        }
                        OP_PING | OP_PONG => None,
                        op => return err(format!("unknown opcode {op}")),
                    };
                    if got_close {
                        break;
                    }
                    if let Some((op, rsv1, payload)) = whole {
                        if op != want_op {
                            stats.mismatch(format!("conn {id} msg {next}: opcode {op}, expected {want_op}"));
                            return err("wrong opcode");
                        }
                        let data: &[u8] = if rsv1 {
                            let Some(inf) = inflater.as_mut() else { return err("RSV1 without permessage-deflate") };
                            inf.inflate(&payload, &mut inflated, cfg.max)?;
                            &inflated
                        } else {
                            &payload
                        };
                        if !cfg.payloads.check(id, next, data) {
                            stats.mismatch(format!("conn {id} msg {next}: payload differs ({} bytes)", data.len()));
                            return err("payload mismatch");
                        }
                        next += 1;
                        recv.store(next, Relaxed);
                        stats.received.fetch_add(1, Relaxed);
                        if !stopping.load(Relaxed) {
                            sem.add_permits(1);
                        }
                    }
                }
                if got_close {
                    return if stopping.load(Relaxed) { Ok(()) } else { err("server closed the connection") };
                }
            } else {
                while buf.len() >= size {
                    let m = buf.split_to(size);
                    if !cfg.payloads.check(id, next, &m) {
                        stats.mismatch(format!("conn {id} msg {next}: bytes differ"));
                        return err("payload mismatch");
                    }
                    next += 1;
                    recv.store(next, Relaxed);
                    stats.received.fetch_add(1, Relaxed);
                    if !stopping.load(Relaxed) {
                        sem.add_permits(1);
                    }
                }
            }
            if buf.capacity() - buf.len() < 16 * 1024 {
                buf.reserve(64 * 1024);
            }
            let n = rd.read_buf(&mut buf).await?;
            if n == 0 {
                return if stopping.load(Relaxed) && next >= sent.load(Relaxed) {
                    Ok(())
                } else {
                    err("connection closed by the server")
                };
            }
        }
    };
    let r = reader.await;
    if r.is_err() {
        writer.abort();
        return r;
    }
    match tokio::time::timeout(Duration::from_secs(10), writer).await {
        Ok(Ok(w)) => w,
        Ok(Err(e)) => err(e.to_string()),
        Err(_) => err("writer did not finish"),
    }
}

// ---------------------------------------------------------------- echo on tokio-tungstenite (cross-check engine)

async fn echo_conn_tungstenite(
    id: u64,
    cfg: Arc<EchoCfg>,
    stats: Arc<Stats>,
    mut stop: watch::Receiver<bool>,
) -> io::Result<()> {
    let stream = tcp_connect(cfg.addr, None).await?;
    let url = format!("ws://{}{}", cfg.host, cfg.path);
    let (ws, _) = tokio_tungstenite::client_async(url, stream).await.map_err(io::Error::other)?;
    stats.connected.fetch_add(1, Relaxed);
    let (mut sink, mut source) = ws.split();
    let sem = Arc::new(Semaphore::new(cfg.inflight));
    let recv = Arc::new(AtomicU64::new(0));
    stats.per_conn.lock().unwrap().push(recv.clone());
    let stopping = Arc::new(AtomicBool::new(false));
    let writer = {
        let (cfg, sem, recv, stopping) = (cfg.clone(), sem.clone(), recv.clone(), stopping.clone());
        tokio::spawn(async move {
            let mut msg = Vec::new();
            let mut seq = 0u64;
            while let Some(n) = take_credits(&mut stop, &sem).await {
                for _ in 0..n {
                    cfg.payloads.fill(id, seq, &mut msg);
                    let m = if cfg.kind == Kind::Binary {
                        Message::Binary(msg.clone().into())
                    } else {
                        Message::Text(String::from_utf8(msg.clone()).unwrap().into())
                    };
                    sink.feed(m).await.map_err(io::Error::other)?;
                    seq += 1;
                }
                sink.flush().await.map_err(io::Error::other)?;
            }
            stopping.store(true, Relaxed);
            let t0 = Instant::now();
            while recv.load(Relaxed) < seq && t0.elapsed() < Duration::from_secs(5) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            sink.send(Message::Close(None)).await.map_err(io::Error::other)?;
            io::Result::Ok(())
        })
    };
    let mut next = 0u64;
    while let Some(m) = source.next().await {
        let m = match m {
            Ok(m) => m,
            Err(e) if stopping.load(Relaxed) => {
                let _ = e;
                break;
            }
            Err(e) => {
                writer.abort();
                return Err(io::Error::other(e));
            }
        };
        let data: &[u8] = match (&m, cfg.kind) {
            (Message::Binary(b), Kind::Binary) => b,
            (Message::Text(t), Kind::Text | Kind::Json) => t.as_bytes(),
            (Message::Close(_), _) => break,
            (Message::Ping(_) | Message::Pong(_), _) => continue,
            _ => {
                stats.mismatch(format!("conn {id} msg {next}: wrong message type"));
                writer.abort();
                return err("wrong message type");
            }
        };
        if !cfg.payloads.check(id, next, data) {
            stats.mismatch(format!("conn {id} msg {next}: payload differs"));
            writer.abort();
            return err("payload mismatch");
        }
        next += 1;
        recv.store(next, Relaxed);
        stats.received.fetch_add(1, Relaxed);
        if !stopping.load(Relaxed) {
            sem.add_permits(1);
        }
    }
    if !stopping.load(Relaxed) {
        writer.abort();
        return err("server closed the connection");
    }
    match tokio::time::timeout(Duration::from_secs(10), writer).await {
        Ok(Ok(w)) => w,
        Ok(Err(e)) => err(e.to_string()),
        Err(_) => err("writer did not finish"),
    }
}

/// Runs the measurement window shared by echo, raw, connect and sse:
/// wait for connections, warm up, `MARK start`, measure, `MARK end`, stop.
/// Returns (counted, elapsed, client cpu seconds).
async fn window(o: &Opts, stats: &Stats, expect_conns: u64, stop: &watch::Sender<bool>) -> (u64, f64, f64) {
    let t0 = Instant::now();
    while stats.connected.load(Relaxed) + stats.errors.load(Relaxed) < expect_conns && t0.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_secs_f64(o.num("warmup", 1.0))).await;
    let snap = || stats.per_conn.lock().unwrap().iter().map(|c| c.load(Relaxed)).collect::<Vec<u64>>();
    let per0 = snap();
    let (c0, t1, cpu0) = (stats.received.load(Relaxed), Instant::now(), self_cpu());
    mark("start");
    let messages = o.int("messages", 0);
    let duration = Duration::from_secs_f64(o.num("duration", 5.0));
    let max_duration = Duration::from_secs_f64(o.num("max-duration", 120.0));
    loop {
        tokio::time::sleep(Duration::from_millis(2)).await;
        let el = t1.elapsed();
        let done = if messages > 0 { stats.received.load(Relaxed) - c0 >= messages } else { el >= duration };
        if done || el >= max_duration || (stats.errors.load(Relaxed) > 0 && o.flag("fail-fast")) {
            break;
        }
    }
    let (c1, el, cpu1) = (stats.received.load(Relaxed), t1.elapsed().as_secs_f64(), self_cpu());
    mark("end");
    let per1 = snap();
    if !per0.is_empty() && per0.len() == per1.len() {
        let d: Vec<u64> = per0.iter().zip(&per1).map(|(a, b)| b - a).collect();
        *stats.window_spread.lock().unwrap() = (*d.iter().min().unwrap(), *d.iter().max().unwrap());
    }
    let _ = stop.send(true);
    (c1 - c0, el, cpu1 - cpu0)
}

async fn join_all(tasks: Vec<tokio::task::JoinHandle<io::Result<()>>>, stats: &Stats, limit: Duration) -> u64 {
    let deadline = tokio::time::Instant::now() + limit;
    let mut unfinished = 0;
    for t in tasks {
        let abort = t.abort_handle();
        match tokio::time::timeout_at(deadline, t).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => stats.error(e),
            Ok(Err(e)) => stats.error(e),
            Err(_) => {
                abort.abort();
                unfinished += 1;
            }
        }
    }
    unfinished
}

async fn run_echo(o: &Opts, mode: &str) -> String {
    let port = o.int("port", 0) as u16;
    let framing = mode != "raw";
    let kind = if o.flag("binary") || !framing {
        Kind::Binary
    } else if o.flag("json") {
        Kind::Json
    } else {
        Kind::Text
    };
    let size = o.int("size", 32) as usize;
    let conns = o.int("conns", 50);
    let engine = o.str("engine", "raw");
    let tung = engine == "tungstenite";
    let cfg = Arc::new(EchoCfg {
        addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
        host: format!("127.0.0.1:{port}"),
        path: o.str("path", "/"),
        inflight: o.int("inflight", 16) as usize,
        kind,
        payloads: Payloads::new(kind, size),
        deflate: o.flag("deflate"),
        level: o.int("level", 1) as u32,
        framing,
        max: (size * 2).max(1 << 20),
    });
    if cfg.deflate && engine != "raw" {
        die("--deflate needs --engine raw (tungstenite has no permessage-deflate)");
    }
    let stats = Arc::new(Stats::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();
    for id in 0..conns {
        let (cfg, stats2, stop) = (cfg.clone(), stats.clone(), stop_rx.clone());
        tasks.push(tokio::spawn(async move {
            let r = if tung && framing {
                echo_conn_tungstenite(id, cfg, stats2.clone(), stop).await
            } else {
                echo_conn(id, cfg, stats2.clone(), stop).await
            };
            // Counted at once, so that the start of the window does not wait for it.
            if let Err(e) = r {
                stats2.error(e);
            }
            io::Result::Ok(())
        }));
    }
    let (count, el, cpu) = window(o, &stats, conns, &stop_tx).await;
    let unfinished = join_all(tasks, &stats, Duration::from_secs(15)).await;
    let spread = *stats.window_spread.lock().unwrap();
    format!(
        "{{\"mode\":\"{mode}\",\"engine\":{},\"conns\":{conns},\"inflight\":{},\"size\":{size},\"kind\":\"{}\",\"deflate\":{},\
         \"connected\":{},\"messages\":{count},\"seconds\":{el:.4},\"msgs_per_s\":{:.1},\"mb_per_s\":{:.2},\
         \"conn_msgs_min\":{},\"conn_msgs_max\":{},\"errors\":{},\"mismatches\":{},\"unfinished\":{unfinished},\"client_cpu_s\":{cpu:.3},\"first_error\":{}}}",
        json_str(if framing { &engine } else { "tcp" }),
        cfg.inflight,
        match kind {
            Kind::Text => "text",
            Kind::Binary => "binary",
            Kind::Json => "json",
        },
        cfg.deflate,
        stats.connected.load(Relaxed),
        count as f64 / el,
        count as f64 * size as f64 / el / 1e6,
        spread.0,
        spread.1,
        stats.errors.load(Relaxed),
        stats.mismatches.load(Relaxed),
        json_str(&stats.first_error()),
    )
}

// ---------------------------------------------------------------- connect: handshakes per second

async fn one_handshake(addr: SocketAddr, host: &str, path: &str, src: Option<IpAddr>, rng: &mut Rng, p: &Payloads, n: u64) -> io::Result<()> {
    let mut s = tcp_connect(addr, src).await?;
    let (mut buf, _) = handshake(&mut s, host, path, None).await?;
    let mut out = Vec::new();
    let mut msg = Vec::new();
    p.fill(n, 0, &mut msg);
    encode_frame(&mut out, OP_TEXT, false, &msg, rng.mask());
    s.write_all(&out).await?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut echoed = false;
    loop {
        while let Some(f) = decode_frame(&mut buf, 1 << 20)? {
            match f.opcode {
                OP_TEXT if !echoed => {
                    if !p.check(n, 0, &f.payload) {
                        return err("echo differs");
                    }
                    echoed = true;
                    out.clear();
                    encode_frame(&mut out, OP_CLOSE, false, &1000u16.to_be_bytes(), rng.mask());
                    s.write_all(&out).await?;
                }
                OP_CLOSE if echoed => return Ok(()),
                OP_PING | OP_PONG => {}
                op => return err(format!("unexpected opcode {op}")),
            }
        }
        let n = tokio::time::timeout_at(deadline, s.read_buf(&mut buf)).await.map_err(|_| io::Error::other("timed out"))??;
        if n == 0 {
            return if echoed { Ok(()) } else { err("closed before the echo") };
        }
    }
}

async fn run_connect(o: &Opts) -> String {
    let port = o.int("port", 0) as u16;
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
    let conc = o.int("conc", 32);
    let ips = o.int("src-ips", 64);
    let stats = Arc::new(Stats::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let counter = Arc::new(AtomicU64::new(0));
    let payloads = Arc::new(Payloads::new(Kind::Text, 32));
    let mut tasks = Vec::new();
    for t in 0..conc {
        let (stats, stop, counter, payloads) = (stats.clone(), stop_rx.clone(), counter.clone(), payloads.clone());
        let host = format!("127.0.0.1:{port}");
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng::new(t + 99);
            stats.connected.fetch_add(1, Relaxed);
            while !*stop.borrow() {
                let n = counter.fetch_add(1, Relaxed);
                match one_handshake(addr, &host, "/", src_ip(n, ips), &mut rng, &payloads, n).await {
                    Ok(()) => {
                        stats.received.fetch_add(1, Relaxed);
                    }
                    Err(e) => {
                        stats.error(e);
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            io::Result::Ok(())
        }));
    }
    let (count, el, cpu) = window(o, &stats, conc, &stop_tx).await;
    let unfinished = join_all(tasks, &stats, Duration::from_secs(15)).await;
    format!(
        "{{\"mode\":\"connect\",\"conc\":{conc},\"handshakes\":{count},\"seconds\":{el:.4},\"handshakes_per_s\":{:.1},\
         \"errors\":{},\"unfinished\":{unfinished},\"client_cpu_s\":{cpu:.3},\"first_error\":{}}}",
        count as f64 / el,
        stats.errors.load(Relaxed),
        json_str(&stats.first_error())
    )
}

// ---------------------------------------------------------------- idle: hold N connections

async fn run_idle(o: &Opts) -> String {
    let port = o.int("port", 0) as u16;
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
    let conns = o.int("conns", 10_000);
    let tcp = o.flag("tcp");
    // ~20 000 ephemeral ports per source address is safe; use one per 4 000.
    let ips = o.int("src-ips", conns / 4000 + 1);
    let hold = Duration::from_secs_f64(o.num("hold", 60.0));
    let stats = Arc::new(Stats::default());
    let open_limit = Arc::new(Semaphore::new(o.int("open-conc", 128) as usize));
    let (release_tx, release_rx) = watch::channel(false);
    let payloads = Arc::new(Payloads::new(Kind::Text, 16));
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for n in 0..conns {
        let (stats, open_limit, mut release, payloads) = (stats.clone(), open_limit.clone(), release_rx.clone(), payloads.clone());
        tasks.push(tokio::spawn(async move {
            let permit = open_limit.acquire_owned().await.unwrap();
            let opened = async {
                let mut s = tcp_connect(addr, src_ip(n, ips)).await?;
                let mut msg = Vec::new();
                payloads.fill(n, 0, &mut msg);
                if tcp {
                    s.write_all(&msg).await?;
                    let mut back = vec![0u8; msg.len()];
                    tokio::time::timeout(Duration::from_secs(10), s.read_exact(&mut back))
                        .await
                        .map_err(|_| io::Error::other("echo timed out"))??;
                    if back != msg {
                        return err("echo differs");
                    }
                } else {
                    let (mut buf, _) = handshake(&mut s, &format!("127.0.0.1:{port}"), "/", None).await?;
                    let mut out = Vec::new();
                    encode_frame(&mut out, OP_TEXT, false, &msg, Rng::new(n + 5).mask());
                    s.write_all(&out).await?;
                    let f = loop {
                        if let Some(f) = decode_frame(&mut buf, 1 << 16)? {
                            break f;
                        }
                        let k = tokio::time::timeout(Duration::from_secs(10), s.read_buf(&mut buf))
                            .await
                            .map_err(|_| io::Error::other("echo timed out"))??;
                        if k == 0 {
                            return err("closed before the echo");
                        }
                    };
                    if f.opcode != OP_TEXT || !payloads.check(n, 0, &f.payload) {
                        return err("echo differs");
                    }
                }
                io::Result::Ok(s)
            }
            .await;
            drop(permit);
            match opened {
                Ok(s) => {
                    stats.connected.fetch_add(1, Relaxed);
                    let _ = release.wait_for(|v| *v).await;
                    drop(s);
                }
                Err(e) => stats.error(e),
            }
            io::Result::Ok(())
        }));
    }
    while stats.connected.load(Relaxed) + stats.errors.load(Relaxed) < conns && t0.elapsed() < Duration::from_secs(120) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let open_s = t0.elapsed().as_secs_f64();
    let opened = stats.connected.load(Relaxed);
    mark(&format!("idle {opened}"));
    // Released by a line on stdin (the runner, after reading the server's RSS) or after --hold.
    let (line_tx, line_rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut l = String::new();
        let _ = io::stdin().read_line(&mut l);
        let _ = line_tx.send(());
    });
    let _ = tokio::time::timeout(hold, line_rx).await;
    let _ = release_tx.send(true);
    let unfinished = join_all(tasks, &stats, Duration::from_secs(10)).await;
    format!(
        "{{\"mode\":\"idle\",\"tcp\":{tcp},\"conns\":{conns},\"opened\":{opened},\"open_seconds\":{open_s:.3},\"src_ips\":{ips},\
         \"errors\":{},\"unfinished\":{unfinished},\"first_error\":{}}}",
        stats.errors.load(Relaxed),
        json_str(&stats.first_error())
    )
}

// ---------------------------------------------------------------- sse: EventSource fan-out

/// Each event is `id: <n>` and `data: {"id":<n>,"pad":"xxx…"}`; ids rise by
/// one per event on every connection.
async fn sse_conn(
    addr: SocketAddr,
    host: String,
    src: Option<IpAddr>,
    pad: Arc<String>,
    stats: Arc<Stats>,
    mut stop: watch::Receiver<bool>,
    open_limit: Arc<Semaphore>,
) -> io::Result<()> {
    let permit = open_limit.acquire_owned().await.unwrap();
    let mut s = tcp_connect(addr, src).await?;
    s.write_all(format!("GET /events HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\n\r\n").as_bytes()).await?;
    let (head, mut buf) = read_http_head(&mut s).await?;
    if !head.starts_with("HTTP/1.1 200") || !header(&head, "content-type").is_some_and(|v| v.starts_with("text/event-stream")) {
        return err(format!("not an event stream: {}", head.lines().next().unwrap_or("")));
    }
    stats.connected.fetch_add(1, Relaxed);
    drop(permit);
    let suffix = format!(",\"pad\":\"{pad}\"}}");
    let (mut id, mut data_ok, mut last): (Option<u64>, Option<bool>, Option<u64>) = (None, None, None);
    loop {
        while let Some(nl) = buf.iter().position(|&b| b == b'\n') {
            let line_full = buf.split_to(nl + 1);
            let line = &line_full[..nl];
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                if let Some(ok) = data_ok.take() {
                    let Some(i) = id.take() else { return err("event without id") };
                    if !ok {
                        stats.mismatch(format!("event {i}: data differs"));
                        return err("event data differs");
                    }
                    if let Some(l) = last {
                        if i != l + 1 {
                            stats.mismatch(format!("event id {i} after {l}"));
                            return err("events out of order");
                        }
                    }
                    last = Some(i);
                    stats.received.fetch_add(1, Relaxed);
                }
                id = None;
            } else if let Some(v) = line.strip_prefix(b"id: ") {
                id = std::str::from_utf8(v).ok().and_then(|v| v.parse().ok());
            } else if let Some(v) = line.strip_prefix(b"data: ") {
                // {"id":<n>,"pad":"…"}
                let ok = v.strip_prefix(b"{\"id\":").and_then(|r| {
                    let k = r.iter().position(|&b| b == b',')?;
                    let n: u64 = std::str::from_utf8(&r[..k]).ok()?.parse().ok()?;
                    Some((n, &r[k..]))
                });
                data_ok = Some(match (ok, id) {
                    (Some((n, rest)), Some(i)) => n == i && rest == suffix.as_bytes(),
                    _ => false,
                });
            }
            // event:, retry: and comments are accepted and ignored
        }
        if *stop.borrow() {
            return Ok(());
        }
        if buf.capacity() - buf.len() < 8 * 1024 {
            buf.reserve(64 * 1024);
        }
        tokio::select! {
            biased;
            _ = stop.changed() => return Ok(()),
            n = s.read_buf(&mut buf) => if n? == 0 { return if *stop.borrow() { Ok(()) } else { err("stream ended") } },
        }
    }
}

async fn run_sse(o: &Opts) -> String {
    let port = o.int("port", 0) as u16;
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
    let conns = o.int("conns", 1000);
    let ips = o.int("src-ips", conns / 4000 + 1);
    let pad = Arc::new("x".repeat(o.int("pad", 48) as usize));
    let stats = Arc::new(Stats::default());
    let (stop_tx, stop_rx) = watch::channel(false);
    let open_limit = Arc::new(Semaphore::new(o.int("open-conc", 128) as usize));
    let mut tasks = Vec::new();
    for n in 0..conns {
        let (pad, stats, stop, open_limit) = (pad.clone(), stats.clone(), stop_rx.clone(), open_limit.clone());
        tasks.push(tokio::spawn(async move {
            if let Err(e) = sse_conn(addr, format!("127.0.0.1:{port}"), src_ip(n, ips), pad, stats.clone(), stop, open_limit).await {
                stats.error(e);
            }
            io::Result::Ok(())
        }));
    }
    let (count, el, cpu) = window(o, &stats, conns, &stop_tx).await;
    let unfinished = join_all(tasks, &stats, Duration::from_secs(10)).await;
    format!(
        "{{\"mode\":\"sse\",\"conns\":{conns},\"connected\":{},\"events\":{count},\"seconds\":{el:.4},\"events_per_s\":{:.1},\
         \"errors\":{},\"mismatches\":{},\"unfinished\":{unfinished},\"client_cpu_s\":{cpu:.3},\"first_error\":{}}}",
        stats.connected.load(Relaxed),
        count as f64 / el,
        stats.errors.load(Relaxed),
        stats.mismatches.load(Relaxed),
        json_str(&stats.first_error())
    )
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(mode) = args.first().cloned() else { die("usage: loadgen echo|raw|connect|idle|sse --port P [options]") };
    let o = Opts::parse(&args[1..]);
    if o.int("port", 0) == 0 {
        die("--port is required");
    }
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let out = rt.block_on(async {
        match mode.as_str() {
            "echo" | "raw" => run_echo(&o, &mode).await,
            "connect" => run_connect(&o).await,
            "idle" => run_idle(&o).await,
            "sse" => run_sse(&o).await,
            m => die(&format!("unknown mode {m}")),
        }
    });
    println!("{out}");
    // Tasks still parked (bounded waits timed out) must not hold the exit.
    rt.shutdown_timeout(Duration::from_millis(100));
}
