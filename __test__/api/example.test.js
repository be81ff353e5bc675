'use strict';

// The README's echo server (examples/echo-server.js, `npm start`) runs as
// written and echoes what a ws client sends.
const { test } = require('node:test');
const assert = require('node:assert');
const { spawn } = require('child_process');
const path = require('path');
const WebSocketClient = require('ws');

const EXAMPLE = path.join(__dirname, '..', '..', 'examples', 'echo-server.js');

function startExample() {
  // PORT=0: any free port; the example prints the one it got.
  const child = spawn(process.execPath, [EXAMPLE], { env: { ...process.env, PORT: '0' } });
  const port = new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (data) => {
      output += data;
      const match = /localhost:(\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', (code) => reject(new Error(`example exited with ${code}: ${output}`)));
  });
  return { child, port };
}

test('examples/echo-server.js echoes text and binary', { timeout: 20000 }, async () => {
  const { child, port } = startExample();
  try {
    const client = new WebSocketClient(`ws://127.0.0.1:${await port}/`);
    const replies = [];
    await new Promise((resolve, reject) => {
      client.on('error', reject);
      client.on('open', () => {
        client.send('hello');
        client.send(Buffer.from([1, 2, 3]));
      });
      client.on('message', (data, isBinary) => {
        replies.push(isBinary ? [...data] : data.toString());
        if (replies.length === 2) client.close(1000, 'done');
      });
      client.on('close', resolve);
    });
    assert.deepStrictEqual(replies, ['hello', [1, 2, 3]]);
  } finally {
    child.kill();
  }
});
