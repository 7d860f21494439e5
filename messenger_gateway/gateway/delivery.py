"""Fan-out fast path: one event to many channels, encoded once, written straight to each local socket.

python-socketio's `emit` encodes the packet once per call, then starts one task per recipient, whose packet
goes through the socket's queue to its writer task, which builds a WebSocket frame. An Echo event goes to many
channels at a time (a message to every member's private channel), so instead we serialise the payload once with
orjson, build each channel's Socket.IO packet and its WebSocket frame once (server frames are not masked, so
every socket gets the same bytes), and write the frame to each socket's transport right away when its writer
is idle (nothing queued, not mid-write, not paused by back-pressure). Otherwise the packet joins the socket's
queue as before, so the order of what one socket receives never changes. The bytes on the wire are the same
Socket.IO packets, in the same frames.

Across nodes, `EchoRedisManager` sends one pub/sub message per publish (not one per channel); every other node
delivers it with the same fast path.
"""
from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections import deque
from typing import Any, Callable, Iterator

import orjson
import socketio
from engineio import packet as eio_packet

from messenger_gateway.core.outages import describe
from messenger_gateway.gateway.history import Position
from messenger_gateway.gateway.websocket_transport import WireQueue, outgoing_of, websocket_of

NAMESPACE = "/"
CLOCK_MASK = 63  # the clock is looked at every CLOCK_MASK + 1 sockets
log = logging.getLogger("messenger.gateway")


def frame_header(size: int) -> bytes:
    """The header of an unmasked, final WebSocket text frame (RFC 6455 section 5.2) of `size` bytes."""
    if size < 126:
        return struct.pack("!BB", 0x81, size)
    if size < 65536:
        return struct.pack("!BBH", 0x81, 126, size)
    return struct.pack("!BBQ", 0x81, 127, size)


def idle_transport(sock: Any) -> Any:
    """The socket's transport when a frame may be written to it right now, else None (then the packet is queued:
    long-polling, upgrading, packets waiting or being written, back-pressure).

    This reads private state of python-engineio and aiohttp; if a release renames it, we fall back to the queue."""
    queue = sock.queue
    if not isinstance(queue, WireQueue) or sock.upgrading:
        return None
    try:
        return queue.idle_transport()
    except AttributeError:
        return None


class LocalDelivery:
    def __init__(self, sio: socketio.AsyncServer, max_queued_bytes: int = 1024 * 1024) -> None:
        self.sio = sio
        self.max_queued_bytes = max_queued_bytes
        self.evicted = 0  # sockets closed for not reading (for /metrics)
        self.outgoing = outgoing_of(sio.eio)
        self.delivered = 0  # events written or queued to sockets, for /metrics (one addition per call)
        self.queued = 0  # of which queued for the socket's writer (not the fast path; counted on the slow branch)
        self.positioned: dict[str, dict[str, str]] = {}  # channel -> the sockets that asked for positions on it
        self.held: dict[tuple[str, str], list[tuple[int | None, bytes]]] = {}  # (sid, channel) -> held packets
        self._backlog: deque[Iterator[None]] = deque()  # deliveries continuing on a later turn, in publish order
        self._turn_deadline = 0.0  # when this turn's delivery time is up (perf_counter)

    @property
    def fast_writes(self) -> int:
        """Events written straight to an idle socket's transport (a test checks the fast path is taken)."""
        return self.delivered - self.queued

    def deliver(self, event: str, channels: list[str], payload_json: str, skip_sid: str | None = None,
                positions: dict[str, Position] | None = None) -> None:
        """Send `event (channel, payload)` to every local socket in each channel. Sockets that asked for positions
        get `event (channel, payload, {epoch, position})` where the event has one. Big fan-outs continue over
        the next turns of the event loop (see `_run`)."""
        self._run(self._deliver_steps(event, channels, payload_json, skip_sid, positions))

    def _run(self, steps: Iterator[None]) -> None:
        """Run a delivery now for what is left of the turn's time, and the rest on later turns: one event to 20,000
        sockets would otherwise keep every other socket and request waiting for a fifth of a second. Deliveries
        start in publish order, and one that has to wait lets none overtake it, so each socket still receives in
        publish order; a later turn goes on with as many waiting deliveries as fit in it (their frames to one socket
        are still written together)."""
        if self._backlog:
            self._backlog.append(steps)
            return
        self._turn_deadline = self.outgoing.deadline()
        try:
            next(steps)
        except StopIteration:
            return
        self._backlog.append(steps)
        asyncio.get_running_loop().call_soon(self._pump)

    def _pump(self) -> None:
        self._turn_deadline = self.outgoing.deadline()
        backlog = self._backlog
        while backlog:
            try:
                next(backlog[0])
            except StopIteration:
                backlog.popleft()
                continue
            break  # this turn's budget is spent
        if backlog:
            asyncio.get_running_loop().call_soon(self._pump)

    @property
    def backlog(self) -> int:
        """Deliveries waiting for a later turn (for /metrics)."""
        return len(self._backlog)

    def _deliver_steps(self, event: str, channels: list[str], payload_json: str, skip_sid: str | None,
                       positions: dict[str, Position] | None) -> Iterator[None]:
        rooms = self.sio.manager.rooms.get(NAMESPACE)
        if not rooms:
            return
        # The Engine.IO + Socket.IO packet `42["event","channel",payload]`, as bytes, around each channel's name.
        head = b'42[' + orjson.dumps(event) + b','
        payload = payload_json.encode()
        tail = b',' + payload + b']'
        positioned = self.positioned
        for channel in channels:
            members = rooms.get(channel)  # sid -> Engine.IO sid
            if not members:
                continue
            name = orjson.dumps(channel)
            asked = positioned.get(channel) if positioned else None
            yield from self._to_members(members, skip_sid, asked, head + name + tail)
            if asked:
                at = positions.get(channel) if positions else None
                body = head + name + tail if at is None else \
                    head + name + b',' + payload + b',' + orjson.dumps(at.wire()) + b']'
                yield from self._to_positioned(channel, asked, skip_sid, body, at)

    def _to_members(self, members: dict[str, str], skip_sid: str | None, asked: dict[str, str] | None,
                    body: bytes) -> Iterator[None]:
        """`body` (an Engine.IO message packet) to each member but `skip_sid` and those in `asked`, pausing
        (yielding) whenever the turn's time is up (looked at every CLOCK_MASK + 1 sockets)."""
        sockets = self.sio.eio.sockets
        write_soon = self.outgoing.write_soon
        mask = CLOCK_MASK
        frame: bytes | None = None
        text: str | None = None
        delivered = 0
        for sid in list(members):  # its names only (strings): no tracked objects for the collector per socket
            if sid == skip_sid or (asked is not None and sid in asked):
                continue
            eio_sid = members.get(sid)
            sock = sockets.get(eio_sid) if eio_sid is not None else None
            if sock is None or sock.closed:
                continue
            if delivered & mask == mask and time.perf_counter() > self._turn_deadline:
                self.delivered += delivered
                delivered = 0
                yield
            transport = idle_transport(sock)
            if transport is not None:
                if frame is None:
                    frame = frame_header(len(body)) + body
                write_soon(transport, frame)
            else:
                self.queued += 1
                if text is None:
                    text = body[1:].decode()  # the Socket.IO packet, for Engine.IO to frame
                queue = sock.queue
                # the waiting packets' size, estimated from this one's: the queue keeps no byte count
                if (queue.qsize() + 1) * len(text) > self.max_queued_bytes:
                    self._evict(sock)
                    continue
                queue.put_nowait(eio_packet.Packet(eio_packet.MESSAGE, text))
            delivered += 1
        self.delivered += delivered

    def _to_positioned(self, channel: str, asked: dict[str, str], skip_sid: str | None, body: bytes,
                       at: Position | None) -> Iterator[None]:
        """The positioned packet to the sockets that asked for positions; held for those still recovering."""
        held = self.held
        if held:
            waiting = {sid: eio for sid, eio in asked.items() if (sid, channel) in held}
            for sid in waiting:
                if sid != skip_sid:
                    held[(sid, channel)].append((at.position if at is not None else None, body))
            if waiting:
                asked = {sid: eio for sid, eio in asked.items() if sid not in waiting}
        yield from self._to_members(asked, skip_sid, None, body)

    # -- positions and recovery (gateway/history.py) -----------------------------------------------------
    def ask_positions(self, sid: str, channel: str) -> bool:
        """From now on `sid` (already in the channel's room) gets the channel's events with their positions."""
        eio_sid = (self.sio.manager.rooms.get(NAMESPACE) or {}).get(channel, {}).get(sid)
        if eio_sid is None:
            return False
        self.positioned.setdefault(channel, {})[sid] = eio_sid
        return True

    def forget_positions(self, sid: str, channel: str) -> None:
        asked = self.positioned.get(channel)
        if asked is not None:
            asked.pop(sid, None)
            if not asked:
                del self.positioned[channel]
        self.held.pop((sid, channel), None)

    def hold(self, sid: str, channel: str) -> None:
        """Keep what is published on `channel` for `sid` until `release` (while its missed events are read)."""
        self.held[(sid, channel)] = []

    def release(self, sid: str, channel: str, replay: list[tuple[int, str, str]],
                notice: tuple[str, Position], last: int | None) -> None:
        """Send `replay` ((position, event, payload JSON) in order), then the notice, then what was held that is
        newer than `last` (the position the replay reached; None: everything held), in one go: nothing published
        meanwhile can come between them (it runs in its turn after every delivery published before it)."""
        self._run(self._release_steps(sid, channel, replay, notice, last))

    def _release_steps(self, sid: str, channel: str, replay: list[tuple[int, str, str]],
                       notice: tuple[str, Position], last: int | None) -> Iterator[None]:
        held = self.held.pop((sid, channel), [])
        kind, at = notice
        if last is None:
            # everything held follows the notice: it must not claim a position some of them come before
            earlier = [position for position, _ in held if position is not None and position <= at.position]
            if earlier:
                at = Position(at.epoch, min(earlier) - 1)
        name = orjson.dumps(channel)
        bodies = [b'42[' + orjson.dumps(event) + b',' + name + b',' + payload.encode() + b',' +
                  orjson.dumps(Position(at.epoch, position).wire()) + b']' for position, event, payload in replay]
        bodies.append(b'42[' + orjson.dumps(kind) + b',' + name + b',' + orjson.dumps(at.wire()) + b']')
        bodies += [body for position, body in held if last is None or position is None or position > last]
        eio_sid = self.positioned.get(channel, {}).get(sid)
        if eio_sid is None:
            return  # unsubscribed or gone meanwhile
        members = {sid: eio_sid}
        for body in bodies:
            yield from self._to_members(members, None, None, body)

    def _evict(self, sock: Any) -> None:
        """A socket that does not read what it is sent: drop what waits for it and close it, so its memory is freed
        (its client reconnects and resubscribes, and can catch up over REST)."""
        if getattr(sock, "mg_evicting", False):
            return
        sock.mg_evicting = True
        self.evicted += 1
        queue = sock.queue
        while not queue.empty():
            queue.get_nowait()
            queue.task_done()
        asyncio.ensure_future(_close_slow_socket(sock))


SLOW_CLOSE_SECONDS = 5.0  # a socket closed for not reading gets this long to read its close frame


async def _close_slow_socket(sock: Any) -> None:
    log.warning("socket %s does not read what it is sent: closing it", sock.sid)
    try:
        await sock.close(wait=False, abort=True, reason="send queue full")  # disconnect handlers: presence...
    except Exception:
        log.exception("closing the slow socket %s failed", sock.sid)
    websocket = websocket_of(sock)
    writer = getattr(websocket, "_writer", None) if websocket is not None else None
    transport = getattr(writer, "transport", None)
    if transport is None:  # long-polling: nothing is buffered beyond the queue, which is empty now
        sock.queue.put_nowait(None)
        return
    # 1008 (policy violation) after whatever the kernel still holds; the client sees it if it ever reads again
    reason = b"send queue full"
    payload = struct.pack("!H", 1008) + reason
    transport.write(struct.pack("!BB", 0x88, len(payload)) + payload)
    transport.close()  # flushes first; a peer that never reads would keep the buffer, hence the abort below
    asyncio.get_running_loop().call_later(SLOW_CLOSE_SECONDS, transport.abort)
    sock.queue.put_nowait(None)


LISTEN_RETRY_SECONDS = 1.0


class EchoRedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]  # python-socketio ships no types
    """python-socketio's Redis manager, plus one message per multi-channel publish, and a listener that is back
    within a second of Redis."""

    delivery: LocalDelivery | None = None
    on_lag: Callable[[float], None] | None = None  # seconds from the publish on another node to its delivery here

    def batch_message(self, event: str, channels: list[str], payload_json: str, skip_sid: str | None,
                      positions: dict[str, Position] | None = None) -> dict[str, Any]:
        message = {"method": "emit", "mg_batch": True, "event": event, "channels": channels, "payload": payload_json,
                   "skip_sid": skip_sid, "namespace": NAMESPACE, "host_id": self.host_id, "ts": time.time()}
        if positions:
            message["positions"] = {channel: [at.epoch, at.position] for channel, at in positions.items()}
        return message

    async def send(self, message: dict[str, Any]) -> int:
        """Publish to the other nodes, returning how many nodes' listeners received it; ConnectionError when Redis
        did not take it (python-socketio retries once, then logs and gives up)."""
        receivers = await self._publish(message)
        if receivers is None:
            raise ConnectionError("Redis did not take the publish")
        return int(receivers)
    async def _redis_listen_with_retries(self) -> Any:
        """python-socketio's listener loop, retrying every second: its own waits double up to a minute, so a node
        could stay deaf long after Redis is back, while the others send it what they held (pub/sub keeps nothing
        for a listener that is not subscribed)."""
        # python-socketio before 5.14 subscribes before it calls this: subscribing again on a new connection would
        # leave two subscriptions, and the outbox counts listeners
        subscribed = bool(getattr(getattr(self, "pubsub", None), "subscribed", False))
        failing = False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    await self.pubsub.subscribe(self.channel)
                    subscribed = True
                    if failing:
                        log.info("the event bus listens to Redis again")
                    failing = False
                async for message in self.pubsub.listen():
                    yield message
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not failing:
                    log.warning("the event bus lost Redis (%s); listening again every %.0f s", describe(exc),
                                LISTEN_RETRY_SECONDS)
                failing = True
                subscribed = False
                await asyncio.sleep(LISTEN_RETRY_SECONDS)

    async def _handle_emit(self, message: dict[str, Any]) -> None:
        if message.get("mg_batch"):
            sent_at = message.get("ts")
            if self.on_lag is not None and isinstance(sent_at, float):
                self.on_lag(max(0.0, time.time() - sent_at))
            if self.delivery is not None:
                positions = message.get("positions")
                self.delivery.deliver(message["event"], list(message["channels"]), message["payload"],
                                      message.get("skip_sid"), _positions(positions) if positions else None)
            return
        await super()._handle_emit(message)


def _positions(wire: Any) -> dict[str, Position] | None:
    try:
        return {channel: Position(str(epoch), int(position)) for channel, (epoch, position) in wire.items()}
    except (AttributeError, TypeError, ValueError):
        return None  # from a node we do not understand: delivered without positions
