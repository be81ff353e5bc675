// The README's echo server: every message a client sends comes back to it.
// Run it with `npm start`, then connect to ws://localhost:8000/.
var WebSocket = require('faye-websocket-native'),
  http = require('http');

var server = http.createServer();

server.on('upgrade', function (request, socket, body) {
  if (WebSocket.isWebSocket(request)) {
    var ws = new WebSocket(request, socket, body);

    ws.on('message', function (event) {
      ws.send(event.data);
    });

    ws.on('close', function (event) {
      console.log('close', event.code, event.reason);
      ws = null;
    });
  }
});

server.listen(process.env.PORT || 8000, function () {
  console.log('echo server listening on ws://localhost:' + server.address().port + '/');
});
