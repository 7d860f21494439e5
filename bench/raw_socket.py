"""A Socket.IO client over a raw WebSocket that subscribes to a channel and then reads nothing: the kernel buffers
fill and the server's writes to it back up (the slow consumer of the slow-consumer test and benchmark)."""
from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct

import orjson


def client_frame(text: str) -> bytes:
    """A masked text frame, as a client must send."""
    data = text.encode()
    mask = os.urandom(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    size = len(data)
    head = struct.pack("!BB", 0x81, 0x80 | size) if size < 126 else struct.pack("!BBH", 0x81, 0x80 | 126, size)
    return head + mask + masked


async def read_frame(reader: asyncio.StreamReader) -> bytes:
    first, second = await reader.readexactly(2)
    size = second & 0x7F
    if size == 126:
        size = struct.unpack("!H", await reader.readexactly(2))[0]
    elif size == 127:
        size = struct.unpack("!Q", await reader.readexactly(8))[0]
    return await reader.readexactly(size)


async def never_reading_socket(host: str, port: int, channel: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Engine.IO + Socket.IO over a raw WebSocket, subscribed to `channel`; from then on it reads nothing."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window, so the server's writes back up
    raw.setblocking(False)
    await asyncio.get_running_loop().sock_connect(raw, (host, port))
    reader, writer = await asyncio.open_connection(sock=raw, limit=2 ** 16)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                 f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    await reader.readuntil(b"\r\n\r\n")
    assert (await read_frame(reader)).startswith(b"0{")  # Engine.IO open
    writer.write(client_frame("40"))
    assert (await read_frame(reader)).startswith(b"40")  # Socket.IO connected
    writer.write(client_frame('42' + orjson.dumps(["subscribe", {"channel": channel, "auth": {"headers": {}}}]).decode()))
    await writer.drain()
    return reader, writer
