"""Python `websockets` as a server for faye-websocket-native's WebSocket.Client.

    python server.py deflate|none

Listens on 127.0.0.1 (a free port) and prints "listening <port>", then one JSON
line per event: {"event": "open", "extensions": <response header or null>} and
{"event": "close", "code": ..., "reason": ...}. Each connection echoes every
message, except these text commands:
    "close <code> <reason>"            close with that code
    "fragments <text|binary> <size>"   send payloads.<kind>(size) in fragments,
                                       then its SHA-256 (hex) as a text message
Exits when stdin closes (the test's end), so it never outlives the test.
"""
import asyncio
import hashlib
import json
import sys

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed

from payloads import binary, fragments, text

compression = sys.argv[1]


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def handler(ws):
    emit({"event": "open", "extensions": ws.response.headers.get("Sec-WebSocket-Extensions")})
    try:
        async for message in ws:
            if isinstance(message, str) and message.startswith("close "):
                _, code, reason = message.split(" ", 2)
                await ws.close(int(code), reason)
            elif isinstance(message, str) and message.startswith("fragments "):
                _, kind, size = message.split(" ")
                data = (text if kind == "text" else binary)(int(size))
                await ws.send(fragments(data))
                raw = data.encode("utf-8") if kind == "text" else data
                await ws.send(hashlib.sha256(raw).hexdigest())
            else:
                await ws.send(message)
    except ConnectionClosed:
        pass
    await ws.wait_closed()
    rcvd = ws.protocol.close_rcvd
    emit({"event": "close", "code": rcvd.code if rcvd else None, "reason": rcvd.reason if rcvd else None})


async def main():
    async with serve(handler, "127.0.0.1", 0, compression=None if compression == "none" else "deflate",
                     max_size=None, close_timeout=30) as server:
        sys.stdout.write("listening %d\n" % server.sockets[0].getsockname()[1])
        sys.stdout.flush()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)  # until the test closes stdin


asyncio.run(main())
