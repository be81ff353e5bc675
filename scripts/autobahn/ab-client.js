'use strict';

// Autobahn|Testsuite client driver (wstest's fuzzingserver mode tests clients):
// asks the fuzzing server for its case count, runs every case with
// WebSocket.Client echoing every message back, then asks it to write reports.
// Same shape as ws's test/autobahn.js and the faye driver the expectations
// were seeded with.
//
//   IMPL=faye-websocket node scripts/autobahn/ab-client.js <ws://host:port> <agent> [--deflate | --deflate=native]
//
// IMPL is the module to test (default: this package). --deflate passes
// `extensions: [require('permessage-deflate')]`; --deflate=native this package's
// own plugin. Prints "case N/COUNT" as it goes and "done COUNT" at the end;
// exits non-zero if a connection to the fuzzing server itself fails.
const path = require('path');

const ROOT = path.join(__dirname, '..', '..');
const WS = require(process.env.IMPL || ROOT);
const [base, agent, deflateArg] = process.argv.slice(2);
if (!base || !agent) throw new Error('usage: ab-client.js <ws://host:port> <agent> [--deflate | --deflate=native]');
let options = {};
if (deflateArg === '--deflate') options = { extensions: [require('permessage-deflate')] };
else if (deflateArg === '--deflate=native') options = { extensions: [require(ROOT).deflate] };
else if (deflateArg) throw new Error(`unknown option ${deflateArg}`);

// Opens url; calls onMessage(ws, data) for each message; resolves on close.
function open(url, onMessage) {
  return new Promise((resolve) => {
    const ws = new WS.Client(url, [], options);
    ws.on('message', (event) => onMessage(ws, event.data));
    ws.on('close', (event) => resolve(event));
  });
}

async function main() {
  let count = NaN;
  await open(`${base}/getCaseCount`, (ws, data) => {
    count = parseInt(String(data), 10);
  });
  if (!(count >= 0)) throw new Error(`getCaseCount gave no count (is the fuzzing server at ${base}?)`);
  for (let i = 1; i <= count; i++) {
    await open(`${base}/runCase?case=${i}&agent=${encodeURIComponent(agent)}`, (ws, data) => ws.send(data));
    console.log(`case ${i}/${count}`);
  }
  const closed = await open(`${base}/updateReports?agent=${encodeURIComponent(agent)}`, () => {});
  if (closed.code !== 1000) throw new Error(`updateReports closed with ${closed.code} ${closed.reason}`);
  console.log(`done ${count}`);
}

main().catch((err) => {
  console.error(`ab-client: ${err.message}`);
  process.exit(1);
});
