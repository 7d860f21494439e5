"""Request bodies on a bad day: a body that trickles in holds no database connection (nobody else waits for it),
a body that stops is answered 408, and the size limit holds for chunked bodies and multipart forms too."""
from __future__ import annotations

import asyncio
import time

import aiohttp
import orjson
import pytest

from tests.support.factories import make_thread

API = "/api/messenger"


@pytest.fixture
def config_overrides():
    return {"server": {"max_request_kb": 64, "body_idle_timeout_seconds": 1.5}}


async def send_head(server, path: str, token: str, body: bytes, first: int):
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(f"POST {path} HTTP/1.1\r\nHost: {server.host}\r\nAuthorization: Bearer {token}\r\n"
                 f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                 + body[:first])
    await writer.drain()
    return reader, writer


async def read_answer(reader: asyncio.StreamReader, timeout: float = 10) -> tuple[bytes, bytes]:
    """The status line and the body of one response (the server may keep the connection open a little longer)."""
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
    return head.split(b"\r\n")[0], await asyncio.wait_for(reader.readexactly(length), timeout)


async def test_a_body_that_trickles_in_makes_nobody_else_wait(api, svc, server):
    slow, other = await api.register(), await api.register()
    thread = await make_thread(svc, [slow.id, other.id])
    body = orjson.dumps({"message": "sent slowly", "temporary_id": "t-1"})
    reader, writer = await send_head(server, f"{API}/threads/{thread}/messages", slow.token, body, 5)
    await asyncio.sleep(0.2)  # the slow request is in, its body not
    waits = []
    for n in range(5):  # other users' database-backed requests are answered at once
        writer.write(body[5 + n:6 + n])  # a byte now and then: trickling, never idle for the idle timeout
        await writer.drain()
        started = time.monotonic()
        reply = await api.get(f"{API}/threads", other.token)
        waits.append(time.monotonic() - started)
        assert reply.status == 200
    assert max(waits) < 2.0, waits  # without the body gate: a 503 after the 5 s pool timeout
    print(f"while a body trickled in, other users' requests took at most {max(waits) * 1000:.1f} ms")
    writer.write(body[10:])
    await writer.drain()
    status, answer = await read_answer(reader)
    writer.close()
    assert status.startswith(b"HTTP/1.1 201"), answer[:300]
    assert (await api.get(f"{API}/threads/{thread}/messages", other.token)).body["data"][0]["body"] == "sent slowly"


async def test_a_body_that_stops_arriving_is_answered_408(api, server):
    me = await api.register()
    body = orjson.dumps({"away": False})
    reader, writer = await send_head(server, f"{API}/heartbeat", me.token, body, 3)
    started = time.monotonic()
    status, answer = await read_answer(reader)
    writer.close()
    assert status.startswith(b"HTTP/1.1 408"), answer[:300]
    assert orjson.loads(answer) == {"message": "The request body did not arrive in time."}
    assert 1.4 < time.monotonic() - started < 5


async def test_the_size_limit_holds_for_a_chunked_body(api, server):
    me = await api.register()

    async def chunks():
        for _ in range(10):
            yield b" " * 10_000  # 100 KB of JSON whitespace, no Content-Length
        yield b'{"away": false}'

    async with aiohttp.ClientSession() as http:
        async with http.post(server.make_url(f"{API}/heartbeat"), data=chunks(),
                             headers={"Authorization": f"Bearer {me.token}", "Content-Type": "application/json"}) as r:
            assert r.status == 413 and (await r.json())["message"] == "The request body is too large (limit 64 KB)."
    assert (await api.post(f"{API}/heartbeat", me.token, json={"away": False})).status == 200


async def test_multipart_forms_are_capped_in_size_and_parts(api, server):
    me = await api.register()

    async def upload(form: aiohttp.FormData) -> tuple[int, dict]:
        async with aiohttp.ClientSession() as http:
            async with http.post(server.make_url(f"{API}/avatar"), data=form,
                                 headers={"Authorization": f"Bearer {me.token}"}) as r:
                return r.status, await r.json()

    many = aiohttp.FormData()
    for n in range(40):
        many.add_field(f"field{n}", "x")
    many.add_field("image", b"not really", filename="a.png", content_type="image/png")
    assert await upload(many) == (413, {"message": "The form has too many parts (at most 32)."})

    big = aiohttp.FormData()
    big.add_field("note", "x" * 70_000)  # over the body limit once encoded, sent chunked by the client
    big.add_field("image", b"not really", filename="a.png", content_type="image/png")
    status, body = await upload(big)
    assert status == 413, body
    assert (await api.get(f"{API}/settings", me.token)).status == 200  # nothing stored, the node answers
