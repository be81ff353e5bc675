import WebSocket = require('../..');
import * as http from 'http';
const server = http.createServer();
server.on('upgrade', (req, socket, body) => {
  if (!WebSocket.isWebSocket(req)) return;
  const ws = new WebSocket(req, socket, body, ['chat'], { ping: 10, headers: { 'X-A': '1' } });
  const legacy = new WebSocket(req, socket, body, [], { allowDrafts: true, handshakeTimeout: 5000 });
  const draftVersion: string = legacy.version;
  ws.on('message', (e) => ws.send(e.data));
  ws.onclose = (e) => console.log(e.code, e.reason);
  ws.addEventListener('error', (e) => console.log(e.message));
  const ok: boolean = ws.ping('x', () => {});
  ws.close(1000, 'bye');
  const n: number = ws.bufferedAmount;
});
const c = new WebSocket.Client('ws://localhost/', [], {
  proxy: { origin: 'http://p' },
  tls: { ca: 'x' },
  heartbeat: { interval: 30000, timeout: 10000 },
  maxBufferedAmount: 16 * 1024 * 1024,
});
c.on('open', () => console.log(c.statusCode, c.headers));
WebSocket.EventSource.isEventSource({} as http.IncomingMessage);
