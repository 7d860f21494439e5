"""A request's body is read whole before anything else looks at the request.

So no request holds a database connection (the only one, on SQLite) while its body trickles in: the auth lookup
and the handlers' reads run once the body is here. The size limit holds for every encoding (a chunked body
included, counted as it arrives), and a body that stops arriving is answered 408 after `body_idle_timeout`
seconds without a byte, or `body_timeout` seconds in all.

Bodies that arrived with their headers (a heartbeat, most JSON requests) are taken as they are, without a timer.
The handlers read the body the usual way afterwards: `read()`, `json()` and `post()` return what was read, and a
multipart body is replayed from memory (aiohttp's `multipart()` reads the payload stream).
"""
from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.streams import StreamReader

from messenger_gateway.core.errors import ApiError

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def read_whole_body(request: web.Request, limit: int, idle_timeout: float, total_timeout: float) -> None:
    payload = request.content
    if payload.is_eof():  # everything is already here: aiohttp's read() (with its own size check) cannot wait
        body = await request.read()
    else:
        body = await _read_arriving(payload, limit, idle_timeout, total_timeout)
        request._read_bytes = body  # what read(), text(), json() and post() return
    if request.content_type == "multipart/form-data":
        replay = StreamReader(request.protocol, max(len(body), 1) + 1, loop=asyncio.get_running_loop())
        if body:
            replay.feed_data(body)
        replay.feed_eof()
        request._payload = replay


async def _read_arriving(payload: StreamReader, limit: int, idle_timeout: float, total_timeout: float) -> bytes:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + total_timeout
    body = bytearray()
    while True:
        wait = min(idle_timeout, deadline - loop.time())
        try:
            if wait <= 0:
                raise asyncio.TimeoutError
            async with asyncio.timeout(wait):
                chunk = await payload.readany()
        except asyncio.TimeoutError:
            raise ApiError(408, "The request body did not arrive in time.", headers={"Connection": "close"}) from None
        if not chunk:
            return bytes(body)
        body.extend(chunk)
        if len(body) > limit:
            raise ApiError(413, f"The request body is too large (limit {limit // 1024} KB).",
                           headers={"Connection": "close"})
