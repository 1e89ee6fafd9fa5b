#!/usr/bin/env python3
"""A WebSocket test server built on the Python `websockets` library, for tests/interop.rs.

    python3 python_server.py [PORT] [--until-stdin-closes] [--deflate MODE]

Listens on 127.0.0.1 (PORT, or a free port when it is 0 or missing) and prints the port alone
on the first line of stdout once it accepts connections. With --until-stdin-closes it exits
when its standard input reaches end of file, so that a test runner that dies does not leave it
behind. Paths:

  /echo      sends every text and binary message back as it came; pings are answered
  /close     sends the text messages "m1", "m2", "m3", then closes with 4000 "bye"
  /ping      sends a ping, waits for the matching pong, then sends the text "pong received"
  /protocol  selects the subprotocol "chat.v2"; a handshake that does not offer it gets 400

permessage-deflate is on as websockets enables it by default (server_max_window_bits=12,
client_max_window_bits=12 when offered, memLevel 5), unless --deflate picks other settings:
  nct12   server_max_window_bits=12, server_no_context_takeover, client_no_context_takeover
  cmwb8   client_max_window_bits=8 (the client compresses with a window of 9 bytes' reach)
  cmwb9   server_max_window_bits=9, client_max_window_bits=9
  off     compression=None: an offer is declined

Messages of up to 64 MiB are accepted. Needs websockets 13 or later (scripts/interop.sh
installs it).
"""

import asyncio
import http
import sys
import threading

from websockets.asyncio.server import serve
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

MAX_SIZE = 64 * 2**20
PATHS = ("/echo", "/close", "/ping", "/protocol")
PING_PAYLOAD = b"are you there?"
DEFLATE_MODES = {
    "nct12": dict(
        server_max_window_bits=12,
        server_no_context_takeover=True,
        client_no_context_takeover=True,
    ),
    "cmwb8": dict(client_max_window_bits=8),
    "cmwb9": dict(server_max_window_bits=9, client_max_window_bits=9),
}


def path_of(request):
    return request.path.split("?", 1)[0]


def offered_protocols(request):
    return [
        name.strip()
        for value in request.headers.get_all("Sec-WebSocket-Protocol")
        for name in value.split(",")
        if name.strip()
    ]


def process_request(connection, request):
    path = path_of(request)
    if path not in PATHS:
        return connection.respond(http.HTTPStatus.NOT_FOUND, "no such path\n")
    if path == "/protocol" and "chat.v2" not in offered_protocols(request):
        return connection.respond(
            http.HTTPStatus.BAD_REQUEST, "offer the subprotocol chat.v2\n"
        )
    return None


def select_subprotocol(connection, subprotocols):
    if path_of(connection.request) == "/protocol" and "chat.v2" in subprotocols:
        return "chat.v2"
    return None


async def handler(ws):
    path = path_of(ws.request)
    if path == "/echo":
        async for message in ws:
            await ws.send(message)
    elif path == "/close":
        for text in ("m1", "m2", "m3"):
            await ws.send(text)
        await ws.close(4000, "bye")
    elif path == "/ping":
        pong = await ws.ping(PING_PAYLOAD)
        await pong
        await ws.send("pong received")
        await ws.wait_closed()
    elif path == "/protocol":
        await ws.send("selected " + str(ws.subprotocol))
        await ws.wait_closed()


def exit_when_stdin_closes(loop, stop):
    sys.stdin.buffer.read()
    loop.call_soon_threadsafe(stop.set_result, None)


def compression_settings(mode):
    if mode is None:
        return {}
    if mode == "off":
        return {"compression": None}
    factory = ServerPerMessageDeflateFactory(
        compress_settings={"memLevel": 5}, **DEFLATE_MODES[mode]
    )
    return {"compression": None, "extensions": [factory]}


async def main(port, until_stdin_closes, deflate):
    stop = asyncio.get_running_loop().create_future()
    if until_stdin_closes:
        threading.Thread(
            target=exit_when_stdin_closes,
            args=(asyncio.get_running_loop(), stop),
            daemon=True,
        ).start()
    async with serve(
        handler,
        "127.0.0.1",
        port,
        max_size=MAX_SIZE,
        ping_interval=None,
        process_request=process_request,
        select_subprotocol=select_subprotocol,
        **compression_settings(deflate),
    ) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await stop


if __name__ == "__main__":
    args = sys.argv[1:]
    deflate = None
    if "--deflate" in args:
        at = args.index("--deflate")
        deflate = args[at + 1]
        del args[at : at + 2]
    until_stdin_closes = "--until-stdin-closes" in args
    numbers = [a for a in args if a != "--until-stdin-closes"]
    try:
        asyncio.run(main(int(numbers[0]) if numbers else 0, until_stdin_closes, deflate))
    except KeyboardInterrupt:
        pass
