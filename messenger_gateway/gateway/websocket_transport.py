"""Engine.IO's WebSocket transport, lighter per socket: no task, queue or timer waits while a socket is idle.

python-engineio serves each WebSocket with a reader task, a writer task blocked on an `asyncio.Queue` (three
deques and an Event of its own), a task wrapping every read for its timeout, and a task per ping sleeping out
the ping interval: four tasks and five deques, about 15 KB per idle socket. Here the socket's own request
handler reads (its timeout is a timer), packets go into a `WireQueue` that holds nothing until one is waiting
and drains with a task that exists only while there is something to write, and pings are timers. Same packets,
same order, same handshake (including the upgrade from long-polling), same timeouts.

This takes over python-engineio's private parts (the socket's class, its queue, the WebSocket driver table):
pinned to the releases it was checked against in pyproject.toml.
"""
from __future__ import annotations

import asyncio
import collections
import logging
import time
from typing import Any

import socketio
from aiohttp import WSMsgType
from aiohttp.web import WebSocketResponse
from engineio import exceptions, packet
from engineio.async_drivers.aiohttp import WebSocket
from engineio.async_socket import AsyncSocket

log = logging.getLogger("messenger.gateway")
_ENDING: set[asyncio.Task[None]] = set()  # sockets' disconnects that outlive their cancelled handler


TURN_SECONDS = 0.006  # a turn of the event loop writes and delivers for about this long; the rest waits for the next
# (shorter turns: fewer long stalls, but fewer events coalesce into one write; see docs/performance.md)


class Outgoing:
    """Frames for sockets' transports, held until the event loop's next turn and written together: everything sent
    to one socket during a turn (several publishes, when the server is busy) goes out in one write, one system call.
    A turn writes for at most TURN_SECONDS (a fan-out to 20,000 sockets is 20,000 writes) and leaves the rest, in
    order, to the next. A socket's queued packets (WireQueue) are written after the frames held for it."""

    def __init__(self) -> None:
        # transport -> its frame, or its frames once there are several (no list, no tracked object, for one)
        self._unsent: dict[Any, bytes | list[bytes]] = {}
        self.turn_ends = 0.0  # perf_counter: when the current turn's time for writing and delivering is up

    def deadline(self) -> float:
        """When a fan-out step starting now must pause: the current turn's end when a flush began it (asyncio runs
        every callback ready at once in one turn, so their times add up), else TURN_SECONDS from now."""
        now = time.perf_counter()
        if now < self.turn_ends + 0.002:  # a flush ran just now: most likely in this very turn
            return self.turn_ends  # when already past, a step still does CLOCK_MASK + 1 sockets before pausing
        self.turn_ends = now + TURN_SECONDS
        return self.turn_ends

    def write_soon(self, transport: Any, frame: bytes) -> None:
        unsent = self._unsent
        if not unsent:
            # Scheduled before anything queued for these sockets afterwards can wake their writers, so it
            # writes first: each socket still receives in publish order.
            asyncio.get_running_loop().call_soon(self._flush)
        held = unsent.get(transport)
        if held is None:
            unsent[transport] = frame
        elif isinstance(held, bytes):
            unsent[transport] = [held, frame]
        else:
            held.append(frame)

    def flush_for(self, transport: Any) -> None:
        """Write what is held for `transport` now (before its queued packets)."""
        held = self._unsent.pop(transport, None)
        if held is not None and not transport.is_closing():
            transport.write(held if isinstance(held, bytes) else b"".join(held))

    def _flush(self) -> None:
        unsent, self._unsent = self._unsent, {}
        deadline = self.turn_ends = time.perf_counter() + TURN_SECONDS
        pending = iter(unsent.items())
        written = 0
        for transport, held in pending:
            if not transport.is_closing():
                transport.write(held if isinstance(held, bytes) else b"".join(held))
            written += 1
            if written & 63 == 0 and time.perf_counter() > deadline:
                rest = dict(pending)
                if rest:
                    rest.update(self._unsent)
                    self._unsent = rest
                    asyncio.get_running_loop().call_soon(self._flush)
                return


def outgoing_of(eio: Any) -> Outgoing:
    """The write batching of one Engine.IO server (shared by the fan-out and the sockets' queues)."""
    outgoing: Outgoing | None = getattr(eio, "mg_outgoing", None)
    if outgoing is None:
        outgoing = eio.mg_outgoing = Outgoing()
    return outgoing


class WireQueue:
    """What Engine.IO puts for one WebSocket to send (None: close it), written by a drain task that runs only
    while packets wait. Implements the part of `asyncio.Queue` that Engine.IO and the fan-out use."""

    __slots__ = ("response", "_outgoing", "_items", "_drain", "_done")

    def __init__(self, response: WebSocketResponse, outgoing: Outgoing) -> None:
        self.response = response
        self._outgoing = outgoing
        self._items: collections.deque[Any] | None = None  # allocated only while packets wait
        self._drain: asyncio.Task[None] | None = None
        self._done = False  # closed or failed: nothing more is sent

    def idle_transport(self) -> Any:
        """The transport a frame may be written to right now (nothing waiting or being written, not closing, not
        paused by back-pressure), else None. Reads aiohttp's private writer state."""
        if self._drain is not None or self._done:
            return None
        writer = self.response._writer
        if writer is None or writer.compress or writer._closing or writer.protocol._paused:
            return None
        transport = writer.transport
        return None if transport is None or transport.is_closing() else transport

    def put_nowait(self, item: Any) -> None:
        if self._done:
            return
        if self._items is None:
            self._items = collections.deque()
        self._items.append(item)
        if self._drain is None:
            self._drain = asyncio.ensure_future(self._write_waiting())

    async def put(self, item: Any) -> None:
        self.put_nowait(item)

    def get_nowait(self) -> Any:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.popleft()

    def task_done(self) -> None:
        """Nothing to count: `join` waits for the drain task instead."""

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items) if self._items else 0

    async def join(self) -> None:
        """Until everything put so far is written (or the socket is done)."""
        if self._drain is not None:
            await asyncio.shield(self._drain)

    async def _write_waiting(self) -> None:
        items = self._items
        try:
            writer = self.response._writer
            if writer is not None and writer.transport is not None:
                self._outgoing.flush_for(writer.transport)  # frames sent before these packets go first
            while items:
                item = items.popleft()
                if item is None:
                    self._done = True
                    items.clear()
                    await self.response.close()
                    break
                encoded = item.encode()
                if isinstance(encoded, bytes):
                    await self.response.send_bytes(encoded)
                else:
                    await self.response.send_str(encoded)
        except Exception:  # the peer went away mid-write: like Engine.IO's writer, stop and close
            self._done = True
            if items:
                items.clear()
            await _close_quietly(self.response)
        finally:
            self._drain = None
            if not self._items:
                self._items = None


async def _close_quietly(response: WebSocketResponse) -> None:
    try:
        await response.close()
    except Exception:
        pass


class LeanSocket(AsyncSocket):  # type: ignore[misc]  # python-engineio ships no types
    """An Engine.IO socket whose pings are timers and whose WebSocket is served here (the class of every socket
    is switched to this one as it connects: python-engineio offers no way to choose it)."""

    queue: Any  # an asyncio.Queue until the WebSocket opens, then a WireQueue
    server: Any
    sid: str
    last_ping: float | None
    connected: bool
    upgrading: bool
    upgraded: bool
    closing: bool
    closed: bool

    def schedule_ping(self) -> None:
        if self.last_ping:  # only after the previous ping was answered, like Engine.IO's
            self.last_ping = None
            asyncio.get_running_loop().call_later(self.server.ping_interval, self._ping_due)

    def _ping_due(self) -> None:
        if not self.closing and not self.closed:
            self.last_ping = time.time()
            self.queue.put_nowait(packet.Packet(packet.PING))

    async def serve(self, ws: "LeanWebSocket") -> None:
        """The WebSocket's whole life: the upgrade handshake when the socket began on long-polling, then read."""
        response = ws.response
        if self.connected:
            if not await self._upgrade(response):
                return
        else:
            self.connected = True
        self._take_over_queue(response)
        self.upgraded = True
        self.upgrading = False
        cancelled = False
        limit = self.server.max_http_buffer_size
        timeout = self.server.ping_interval + self.server.ping_timeout
        while True:
            try:
                message = await response.receive(timeout=timeout)
            except asyncio.CancelledError:
                cancelled = True
                break
            except Exception:  # silent for longer than a ping cycle, or a broken connection
                break
            data = message.data
            if not isinstance(data, (str, bytes)) or len(data) > limit:
                break  # closed, an error, or a packet over the limit
            try:
                await self.receive(packet.Packet(encoded_packet=data))
            except exceptions.UnknownPacketError:
                pass
            except exceptions.SocketIsClosedError:
                break
            except Exception:
                log.exception("socket %s: error handling a packet", self.sid)
        self.queue.put_nowait(None)
        # aiohttp cancels this handler when the connection is lost (the close above can cause it): the socket's
        # disconnect (presence, channels) runs to the end regardless
        ending = asyncio.ensure_future(self._end())
        _ENDING.add(ending)
        ending.add_done_callback(_ENDING.discard)
        try:
            await asyncio.shield(ending)
        except asyncio.CancelledError:
            cancelled = True
        if cancelled:
            raise asyncio.CancelledError

    async def _end(self) -> None:
        await self.queue.join()
        await self.close(wait=False, abort=True, reason=self.server.reason.TRANSPORT_CLOSE)

    def _take_over_queue(self, response: WebSocketResponse) -> None:
        """Packets queued while on long-polling (or during the handshake) are sent first, in order."""
        waiting = self.queue
        queue = WireQueue(response, outgoing_of(self.server))
        while not waiting.empty():
            queue.put_nowait(waiting.get_nowait())
        self.queue = queue

    async def _upgrade(self, response: WebSocketResponse) -> bool:
        """Engine.IO's probe: ping "probe" -> pong "probe", the poll ended with a NOOP, then the UPGRADE packet."""
        self.upgrading = True  # sends are held in the queue meanwhile
        probe = await _read_packet(response, self.server.max_http_buffer_size)
        if probe is None or probe.packet_type != packet.PING or probe.data != "probe":
            self.upgrading = False
            return False
        await response.send_str(packet.Packet(packet.PONG, data="probe").encode())
        await self.queue.put(packet.Packet(packet.NOOP))  # ends the long-poll in flight
        upgrade = await _read_packet(response, self.server.max_http_buffer_size)
        if upgrade is None or upgrade.packet_type != packet.UPGRADE:
            self.upgrading = False
            return False
        return True


async def _read_packet(response: WebSocketResponse, limit: int) -> packet.Packet | None:
    try:
        message = await response.receive()
    except Exception:
        return None
    data = message.data
    if not isinstance(data, (str, bytes)) or len(data) > limit:
        return None
    return packet.Packet(encoded_packet=data)


class LeanWebSocket(WebSocket):  # type: ignore[misc]  # python-engineio ships no types
    """The WebSocket driver Engine.IO calls for a socket's WebSocket request."""

    compress = False

    async def __call__(self, environ: dict[str, Any]) -> WebSocketResponse:
        request = environ["aiohttp.request"]
        self._sock = response = WebSocketResponse(max_msg_size=self.server.max_http_buffer_size,
                                                  compress=self.compress)
        await response.prepare(request)
        owner = getattr(self.handler, "__self__", None)  # the Engine.IO socket this WebSocket serves
        if isinstance(owner, LeanSocket):
            await owner.serve(self)
        else:
            self.environ = environ
            await self.handler(self)
        return response

    @property
    def response(self) -> WebSocketResponse:
        return self._sock


class CompressedLeanWebSocket(LeanWebSocket):
    compress = True  # permessage-deflate when the client offers it (`gateway.websocket_compression: true`)


ENVIRON_KEPT = ("aiohttp.request", "REMOTE_ADDR", "HTTP_COOKIE", "HTTP_USER_AGENT", "HTTP_ORIGIN", "QUERY_STRING")


def trim_environ(environ: dict[str, Any]) -> None:
    """Once the Socket.IO connection is accepted, Engine.IO's WSGI-style copy of the request (every header under
    a new name, about 1.5 KB) is only kept because python-socketio keeps it for the socket's life: it keeps the
    request and a few headers."""
    kept = {key: environ[key] for key in ENVIRON_KEPT if key in environ}
    environ.clear()
    environ.update(kept)


def websocket_of(sock: Any) -> WebSocketResponse | None:
    """The WebSocket an Engine.IO socket is on, or None (long-polling, still upgrading)."""
    queue = getattr(sock, "queue", None)
    return queue.response if isinstance(queue, WireQueue) else None


def use_lean_websockets(sio: socketio.AsyncServer, compression: bool) -> None:
    """Every Engine.IO socket of `sio` becomes a LeanSocket as it connects (before its first ping is scheduled),
    and its WebSocket is served by LeanWebSocket."""
    eio = sio.eio
    drivers = getattr(eio, "_async", None)
    if isinstance(drivers, dict) and "websocket" in drivers:  # a copy: the driver table is shared module state
        eio._async = {**drivers, "websocket": CompressedLeanWebSocket if compression else LeanWebSocket}
    connected = eio.handlers.get("connect")
    if connected is None:
        return

    async def lean_connect(eio_sid: str, environ: dict[str, Any]) -> Any:
        sock = eio.sockets.get(eio_sid)
        if type(sock) is AsyncSocket:
            sock.__class__ = LeanSocket
        return await connected(eio_sid, environ)

    eio.handlers["connect"] = lean_connect
