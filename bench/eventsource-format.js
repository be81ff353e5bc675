'use strict';
// Formatting an EventSource event in JS vs in Rust behind napi.
//
//   node bench/eventsource-format.js
//   ES_FORMAT_ADDON=/path/to/addon.node node bench/eventsource-format.js
//
// Part 1 times the formatter alone: lib/eventsource.js's formatEvent, faye's
// own expression, and (with ES_FORMAT_ADDON) a Rust formatter exported as
// `formatEventBench(message, event, id) -> String` plus
// `noopStringsBench(message, event, id) -> u32`, the bare cost of a napi
// call that receives the same three strings. Without the addon, the repo's
// own `isWebsocket(method, connection, upgrade)` (three strings in, a bool
// out) stands in for the bare call cost, if the binding loads.
// Part 2 is end to end: events sent through EventSource to a raw client on
// 127.0.0.1, with the JS formatter, the Rust one if loaded, and faye's own
// EventSource (one socket write per event) for scale.
//
// The Rust side used for the figures in the report (a standalone cdylib with
// napi 3.16 / napi-derive 3.7, release + LTO):
//
//   #[napi] pub fn format_event_bench(message: String, event: Option<String>,
//                                     id: Option<String>) -> String
//   -- pushes "event: E\r\n", "id: I\r\n" (CR/LF removed, empty dropped),
//      then "data: " + message with "data: " after each \r\n, \r or \n,
//      then "\r\n\r\n" into one String::with_capacity(len + 32).
//   #[napi] pub fn noop_strings_bench(message: String, event: Option<String>,
//                                     id: Option<String>) -> u32

const http = require('http');
const net = require('net');
const EventSource = require('../lib/eventsource');

const formatEvent = EventSource._formatEvent;

let addon = null;
if (process.env.ES_FORMAT_ADDON) addon = require(process.env.ES_FORMAT_ADDON);

let binding = null;
try {
  binding = require('../lib/binding');
} catch {
  binding = null;
}

function fayeFormat(message, options) {
  message = String(message).replace(/(\r\n|\r|\n)/g, '$1data: ');
  options = options || {};
  let frame = '';
  if (options.event) frame += 'event: ' + options.event + '\r\n';
  if (options.id) frame += 'id: ' + options.id + '\r\n';
  return frame + 'data: ' + message + '\r\n\r\n';
}

const CASES = {
  'small 40 B, event+id': ['{"price":101.25,"symbol":"ACME"}', { event: 'tick', id: '123456' }],
  'multi-line 200 B, 5 lines': [('line of text here ' + 'x'.repeat(20) + '\n').repeat(5).trim(), { id: '7' }],
  '4 KB JSON, one line': [
    JSON.stringify({ rows: Array.from({ length: 120 }, (_, i) => ({ i, v: 'value' + i })) }),
    null,
  ],
};

function time(label, iterations, fn) {
  let sink = 0;
  for (let i = 0; i < Math.min(iterations, 50000); i += 1) sink += fn(i).length || 1;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i += 1) sink += fn(i).length || 1;
  const ns = Number(process.hrtime.bigint() - start) / iterations;
  console.log(`  ${label.padEnd(40)} ${ns.toFixed(1).padStart(8)} ns/event`);
  return sink;
}

function micro() {
  console.log('Formatter alone (one event per call, result kept as a JS string):');
  for (const [name, [message, options]] of Object.entries(CASES)) {
    console.log(name);
    const n = 1000000;
    time('JS formatEvent (lib/eventsource.js)', n, () => formatEvent(message, options));
    time("JS faye's expression", n, () => fayeFormat(message, options));
    const event = options && options.event ? String(options.event) : null;
    const id = options && options.id ? String(options.id) : null;
    if (addon) {
      time('Rust formatEventBench via napi', n, () => addon.formatEventBench(message, event, id));
      time('napi call, same 3 strings, no work', n, () => [addon.noopStringsBench(message, event, id)]);
    } else if (binding && binding.isWebsocket) {
      time('napi isWebsocket(3 strings) (lower bound)', n, () => [binding.isWebsocket(message, event, id)]);
    }
  }
}

// End to end: `total` events of `message`, `perTick` per tick, through a
// real EventSource to a net client that reads everything.
function endToEnd(label, message, options, total, perTick, Source = EventSource) {
  return new Promise((resolve) => {
    let client;
    const server = http.createServer((request, response) => {
      const es = new Source(request, response, {});
      let sent = 0;
      const start = process.hrtime.bigint();
      const pump = () => {
        while (sent < total) {
          for (let i = 0; i < perTick && sent < total; i += 1, sent += 1) es.send(message, options);
          if (sent % (perTick * 64) === 0) return setImmediate(pump);
        }
        es.close();
      };
      client.on('close', () => {
        const ns = Number(process.hrtime.bigint() - start) / total;
        console.log(`  ${label.padEnd(40)} ${ns.toFixed(1).padStart(8)} ns/event (${total} events)`);
        server.close(resolve);
      });
      pump();
    });
    server.listen(0, '127.0.0.1', () => {
      client = net.connect(server.address().port, '127.0.0.1', () =>
        client.write('GET / HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n')
      );
      client.on('data', () => {});
      client.on('end', () => client.end());
    });
  });
}

async function e2e() {
  console.log('\nEnd to end over 127.0.0.1 (100 sends per tick):');
  const [message, options] = CASES['small 40 B, event+id'];
  const total = 500000;
  const original = EventSource.prototype.send;
  for (let round = 0; round < 2; round += 1) {
    EventSource.prototype.send = original;
    await endToEnd('JS formatter', message, options, total, 100);
    if (addon) {
      // The same send(), with the formatting done by the Rust function.
      EventSource.prototype.send = function (msg, opts) {
        if (this.readyState > 1) return false;
        return this._write(
          addon.formatEventBench(
            String(msg),
            opts && opts.event ? '' + opts.event : null,
            opts && opts.id ? '' + opts.id : null
          )
        );
      };
      await endToEnd('Rust formatter via napi', message, options, total, 100);
    }
    EventSource.prototype.send = original;
    // faye-websocket 0.11.4 itself: one socket write per event.
    await endToEnd('faye-websocket 0.11.4', message, options, total, 100, require('faye-websocket').EventSource);
  }
  EventSource.prototype.send = original;
}

micro();
e2e();
