#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/seeds/<target>/.

Run from anywhere: `python3 fuzz/make_seeds.py`. The seeds are small, hand-built cases in the
spirit of Autobahn 12.* / 13.* and of the test servers: RFC 7692's own examples, fragmented
and interleaved compressed messages, a small bomb, and the upgrade, proxy and TLS answers
the test servers send. libFuzzer's corpus grows from them in fuzz/corpus/ (not committed).
"""
import hashlib
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")


def frame(opcode, payload, fin=True, rsv1=False):
    b0 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    n = len(payload)
    if n < 126:
        head = bytes([b0, n])
    elif n <= 0xFFFF:
        head = bytes([b0, 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, 127]) + struct.pack(">Q", n)
    return head + payload


def deflate(data, wbits=15, level=6, compressor=None):
    c = compressor or zlib.compressobj(level, zlib.DEFLATED, -wbits)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def write(target, name, data):
    folder = os.path.join(ROOT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


TEXT = b"The quick brown fox jumps over the lazy dog. " * 40
HELLO = bytes.fromhex("f248cdc9c90700")


def deflate_read():
    # [flags, message limit, frame limit, n reads, reads..., frames]
    def seed(name, frames, flags=0x0E, message=0x06, frame_limit=0x06, reads=b""):
        write("deflate_read", name, bytes([flags, message, frame_limit, len(reads)]) + reads + frames)

    seed("rfc-hello", frame(1, HELLO, rsv1=True))
    seed("rfc-shared-window", frame(1, HELLO, rsv1=True) + frame(1, bytes.fromhex("f200110000"), rsv1=True))
    seed("rfc-stored-block", frame(1, bytes.fromhex("000500faff48656c6c6f00"), rsv1=True))
    seed("rfc-bfinal", frame(1, bytes.fromhex("f348cdc9c90700"), rsv1=True))
    seed("rfc-bfinal-trailer", frame(1, bytes.fromhex("f348cdc9c9070000"), rsv1=True))
    seed("rfc-fragmented", frame(1, HELLO[:3], fin=False, rsv1=True) + frame(0, HELLO[3:]))
    seed("ping-inside-compressed", frame(1, HELLO[:3], fin=False, rsv1=True) + frame(9, b"ping")
         + frame(0, HELLO[3:]) + frame(10, b""))
    seed("empty-compressed", frame(2, b"\x00", rsv1=True) + frame(2, b"", rsv1=True))
    seed("plain-and-compressed", frame(1, b"plain") + frame(1, HELLO, rsv1=True)
         + frame(2, b"bin", fin=False) + frame(0, b"ary"))
    seed("long-126", frame(1, deflate(TEXT), rsv1=True), reads=b"\x01\x00\x03")
    seed("long-127", frame(2, deflate(bytes(range(256)) * 300), rsv1=True), message=0x07, frame_limit=0xFF)
    seed("window-9", frame(1, deflate(TEXT, wbits=9), rsv1=True), flags=0x02)
    seed("no-context-takeover", frame(1, deflate(TEXT), rsv1=True) + frame(1, deflate(TEXT), rsv1=True), flags=0x0F)
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    seed("context-takeover", frame(1, deflate(TEXT, compressor=c), rsv1=True) + frame(1, deflate(TEXT, compressor=c), rsv1=True))
    seed("bomb", frame(2, deflate(bytes(300_000)), rsv1=True), message=0x04)
    seed("bomb-fragmented", frame(2, deflate(bytes(100_000))[:20], fin=False, rsv1=True)
         + frame(0, deflate(bytes(100_000))[20:]), message=0x05, reads=b"\x00\x02")
    seed("close", frame(1, HELLO, rsv1=True) + frame(8, b"\x03\xe8bye"))
    seed("masked-and-rsv2", frame(1, HELLO, rsv1=True) + bytes([0xA1, 0x80, 1, 2, 3, 4]))


def extensions():
    # [flags, server bits, client bits, header lines separated by \n]
    def seed(name, header, flags=0, server=15, client=15):
        write("extensions", name, bytes([flags, server, client]) + header)

    seed("plain", b"permessage-deflate")
    seed("python-websockets", b"permessage-deflate; server_max_window_bits=12; client_max_window_bits=12", flags=0x0C, server=12, client=12)
    seed("no-takeover", b"permessage-deflate; server_no_context_takeover; client_no_context_takeover", flags=0x03)
    seed("quoted", b'permessage-deflate; client_max_window_bits="10"', flags=0x08, client=10)
    seed("two-lines", b"permessage-deflate;server_max_window_bits=9\n, ", flags=0x04, server=9)
    seed("not-offered", b"x-webkit-deflate-frame, permessage-deflate")
    seed("bad-answer", b"permessage-deflate; client_max_window_bits")
    seed("twice", b"permessage-deflate, permessage-deflate")
    seed("unknown-param", b'permessage-deflate; foo="bar baz"')


def target_url():
    # [selector, port high, port low, text]
    def seed(name, text, selector=0, port=0):
        write("target_url", name, bytes([selector]) + struct.pack(">H", port) + text)

    seed("plain", b"ws://example.com/chat")
    seed("user-info", b"wss://user:s3cret@example.com:8443/path?q=1")
    seed("ipv6", b"ws://[::1]:9001/")
    seed("percent-user", b"ws://%61l:p%40ss@example.com/")
    seed("parts", b"example.com\0chat?room=1", selector=1, port=9001)
    seed("parts-ipv6", b"::1\0prices?depth=5", selector=5, port=8443)
    seed("parts-default-port", b"[fe80::1]\0", selector=1)
    seed("proxy", b"http://user:secret@proxy.example:3128", selector=2)
    seed("proxy-bare", b"proxy.example:8080", selector=2)


def proxy_answer():
    write("proxy_answer", "ok", b"HTTP/1.1 200 Connection established\r\n\r\n")
    write("proxy_answer", "ok-then-tls", b"HTTP/1.0 200 OK\r\nVia: test\r\n\r\n\x16\x03\x01\x00")
    write("proxy_answer", "auth", b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"x\"\r\n\r\n")
    write("proxy_answer", "refused", b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
    write("proxy_answer", "not-http", b"SSH-2.0-OpenSSH\r\n\r\n")


def server_hello():
    def hello(version, extensions=b"", session=b"\x11" * 32):
        body = version + b"\x22" * 32 + bytes([len(session)]) + session + b"\x13\x01" + b"\x00"
        if extensions is not None:
            body += struct.pack(">H", len(extensions)) + extensions
        handshake = b"\x02" + struct.pack(">I", len(body))[1:] + body
        return b"\x16\x03\x03" + struct.pack(">H", len(handshake)) + handshake

    write("server_hello", "tls12", hello(b"\x03\x03", extensions=None))
    write("server_hello", "tls12-ext", hello(b"\x03\x03", b"\xff\x01\x00\x01\x00"))
    write("server_hello", "tls13", hello(b"\x03\x03", b"\x00\x33\x00\x04\x00\x1d\x00\x00\x00\x2b\x00\x02\x03\x04"))
    write("server_hello", "tls10", hello(b"\x03\x01", extensions=None, session=b""))
    write("server_hello", "alert", b"\x15\x03\x03\x00\x02\x02\x28")


def client_read():
    # [mode, limits, n, n bytes of header lines, frames]
    def seed(name, frames, mode=0, limits=0x0F, headers=b""):
        write("client_read", name, bytes([mode, limits, len(headers)]) + headers + frames)

    ext = b"Sec-WebSocket-Extensions: permessage-deflate\r\n"
    for mode in (0, 1):
        kind = "blocking" if mode == 0 else "polled"
        seed(f"{kind}-text-close", frame(1, b"hello") + frame(8, b"\x03\xe8bye"), mode=mode)
        seed(f"{kind}-ping-fragments", frame(9, b"p") + frame(2, b"ab", fin=False) + frame(0, b"cd"), mode=mode)
        seed(f"{kind}-too-big", frame(2, bytes(2000)), mode=mode, limits=0x0A)
        seed(f"{kind}-compressed", frame(1, HELLO, rsv1=True) + frame(1, deflate(TEXT), rsv1=True),
             mode=mode | 2, headers=ext)
        seed(f"{kind}-bomb", frame(2, deflate(bytes(200_000)), rsv1=True), mode=mode | 6, limits=0x0E,
             headers=b"Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n")
        seed(f"{kind}-bad-utf8", frame(1, b"\xff\xfe"), mode=mode)
    seed("subprotocol-not-asked", frame(1, b"x"), headers=b"Sec-WebSocket-Protocol: chat\r\n")


if __name__ == "__main__":
    deflate_read()
    extensions()
    target_url()
    proxy_answer()
    server_hello()
    client_read()
