"""A socket that never reads: what waits for it is bounded, it is closed, and everyone else keeps receiving."""
from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct

import orjson
import pytest

from tests.support.sockets import connect

KEY = {"Authorization": "Bearer key-one"}


@pytest.fixture
def database(sqlite_database):
    return sqlite_database


@pytest.fixture
def config_overrides():
    return {"gateway": {"clients": [{"app_id": "app1", "key": "key-one"}], "limits": {"max_queued_kb": 256}}}


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


async def never_reading_socket(server, channel: str):
    """Engine.IO + Socket.IO over a raw WebSocket, subscribed to `channel`; from then on it reads nothing, so the
    kernel buffers fill and the server's writes back up."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window, so the server's writes back up
    raw.setblocking(False)
    await asyncio.get_running_loop().sock_connect(raw, (server.host, server.port))
    reader, writer = await asyncio.open_connection(sock=raw, limit=2 ** 16)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {server.host}\r\nUpgrade: websocket\r\n"
                 f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode())
    await reader.readuntil(b"\r\n\r\n")
    assert (await read_frame(reader)).startswith(b"0{")  # Engine.IO open
    writer.write(client_frame("40"))
    assert (await read_frame(reader)).startswith(b"40")  # Socket.IO connected
    writer.write(client_frame('42' + orjson.dumps(["subscribe", {"channel": channel, "auth": {"headers": {}}}]).decode()))
    await writer.drain()
    return reader, writer


async def test_a_socket_that_never_reads_is_closed_and_the_others_keep_receiving(api, svc, server):
    reader, writer = await never_reading_socket(server, "news")
    reading = await connect(str(server.make_url("/")))
    await reading.subscribe("news")
    await asyncio.sleep(0.3)
    assert len(svc.bus.delivery.sio.eio.sockets) == 2
    payload = {"text": "x" * 20_000}
    for n in range(400):  # 8 MB to each socket: more than the kernel buffers plus the 256 KB bound
        assert (await api.post("/apps/app1/events", headers=KEY,
                               json={"name": "Big", "channel": "news", "data": {**payload, "n": n}})).status == 200
        await asyncio.sleep(0.005)
    got = await reading.wait_for("Big", "news", count=400, timeout=30)
    assert [e[1]["n"] for e in got] == list(range(400))  # the reading client got everything, in order
    for _ in range(100):
        if svc.bus.delivery.evicted:
            break
        await asyncio.sleep(0.05)
    assert svc.bus.delivery.evicted == 1
    await asyncio.sleep(0.3)
    gateway_conns = [s for s in svc.bus.delivery.sio.eio.sockets.values() if not s.closed]
    assert len(gateway_conns) == 1  # only the reading one is left
    metrics = await api.get("/metrics")
    assert b"messenger_slow_sockets_closed_total 1.0" in metrics.raw
    writer.close()
