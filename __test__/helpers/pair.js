'use strict';
// A server-side socket (built by the implementation under test) connected to
// a raw client that has completed the handshake.
const { startServer } = require('./server');
const { record } = require('./recorder');
const { RawClient } = require('./raw');

/**
 * openPair(Impl, { protocols, options, request, onSocket, waitOpen = true })
 * → { ws, log, client, srv, req, socket, close() }
 */
async function openPair(Impl, opts = {}) {
  let resolveWs;
  const got = new Promise((r) => {
    resolveWs = r;
  });
  const srv = await startServer(
    Impl,
    (ws, req, socket, head, error) => {
      if (error) return resolveWs({ error });
      const log = record(ws);
      if (opts.onSocket) opts.onSocket(ws, log, req, socket);
      const opened = new Promise((r) => ws.once('open', r));
      resolveWs({ ws, log, req, socket, opened });
    },
    { protocols: opts.protocols, options: opts.options }
  );
  const client = await RawClient.connect(srv.port);
  await client.sendHandshake(opts.request || {});
  const r = await got;
  if (r.error) {
    client.destroy();
    await srv.close();
    throw r.error;
  }
  await client.waitHead();
  if (opts.waitOpen !== false) await require('./scenario').within(r.opened, 2000);
  return {
    ...r,
    client,
    srv,
    async close() {
      client.destroy();
      await srv.close();
    },
  };
}

module.exports = { openPair };
