'use strict';
// An http server on 127.0.0.1:0 whose 'upgrade' handler builds
// `new Impl(req, socket, body, protocols, options)` and hands it to the test.
const http = require('http');

// Every server (and raw client) ever started, so a file-level after() hook can
// close whatever a failed or timed-out test left behind (see cleanupAll).
const live = new Set();

/**
 * startServer(Impl, onSocket, { protocols, options, onRequest })
 *   onSocket(ws, req, socket, head) runs right after the constructor returns
 *   (same tick, so before `open`). If the constructor throws, onSocket gets
 *   (null, req, socket, head, error) and the socket is destroyed afterwards.
 * Resolves to { port, server, sockets, close() }.
 */
function startServer(Impl, onSocket, opts = {}) {
  const server = http.createServer(
    opts.onRequest ||
      ((req, res) => {
        res.writeHead(404, { 'Content-Type': 'text/plain' });
        res.end('not found');
      })
  );
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req, socket, head) => {
    const protocols = typeof opts.protocols === 'function' ? opts.protocols(req) : opts.protocols;
    const options = typeof opts.options === 'function' ? opts.options(req) : opts.options;
    let ws;
    try {
      ws = new Impl(req, socket, head, protocols, options);
    } catch (error) {
      try {
        if (onSocket) onSocket(null, req, socket, head, error);
      } finally {
        socket.destroy();
      }
      return;
    }
    if (onSocket) onSocket(ws, req, socket, head);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      const handle = {
        port,
        server,
        sockets,
        url: `ws://127.0.0.1:${port}`,
        close() {
          live.delete(handle);
          for (const s of sockets) s.destroy();
          return new Promise((r) => server.close(() => r()));
        },
      };
      live.add(handle);
      resolve(handle);
    });
  });
}

/** Close every server still open and destroy every raw client still connected. */
async function cleanupAll() {
  for (const c of require('./raw').liveClients) c.destroy();
  await Promise.all([...live].map((h) => h.close()));
}

module.exports = { startServer, cleanupAll };
