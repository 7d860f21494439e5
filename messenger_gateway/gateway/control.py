"""Instructions for every node (disconnect a revoked token's sockets, evict a user from a channel)."""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

import orjson
from redis.asyncio import Redis

from messenger_gateway.gateway.control_messages import ControlMessage, from_wire, to_wire
from messenger_gateway.gateway.outbox import Outbox
from messenger_gateway.gateway.redis_listener import RedisListener, listeners_of

log = logging.getLogger("messenger.gateway")
Handler = Callable[[ControlMessage], Awaitable[None]]


class LocalControl:
    """One node: an instruction is carried out right here."""

    def __init__(self) -> None:
        self._handlers: list[Handler] = []
        self.outbox: Outbox[bytes] | None = None  # what waits for the other nodes (none on one node)

    def on_message(self, handler: Handler) -> None:
        self._handlers.append(handler)

    async def publish(self, message: ControlMessage) -> None:
        await self._carry_out(message)

    async def _carry_out(self, message: ControlMessage) -> None:
        for handler in self._handlers:
            try:
                await handler(message)
            except Exception:
                log.exception("control message %s failed", type(message).__name__)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class RedisControl(LocalControl):
    """Several nodes: instructions travel over a Redis pub/sub channel and each node carries them out.

    While Redis is away an instruction is carried out on this node at once and held for the others (in order,
    bounded); this node then receives it again when it is sent, which is harmless: every instruction is idempotent
    (disconnect, leave, forget). Instructions lost anyway (the outbox full, the sending node dead) are covered by
    what every node does when Redis comes back: forget its caches and re-check its sockets' tokens."""

    def __init__(self, redis: Redis, channel: str = "mg:control", outbox_size: int = 10_000) -> None:
        super().__init__()
        self._redis = redis
        self._channel = channel
        self._listener = RedisListener(redis, "gateway-control", lambda ps: ps.subscribe(channel), self._receive)
        self._outbox: Outbox[bytes] = Outbox("node control", self._send, lambda: listeners_of(redis, channel),
                                             capacity=outbox_size)
        self.outbox = self._outbox

    async def _send(self, wire: bytes) -> int:
        return int(await self._redis.publish(self._channel, wire))

    async def publish(self, message: ControlMessage) -> None:
        if not await self._outbox.send(orjson.dumps(to_wire(message))):
            await self._carry_out(message)

    async def _receive(self, raw: dict[str, Any]) -> None:
        try:
            message = from_wire(orjson.loads(raw["data"]))
        except orjson.JSONDecodeError:
            return
        if message is None:
            log.warning("dropped a control message that does not decode: %.200r", raw.get("data"))
            return
        await self._carry_out(message)

    async def start(self) -> None:
        await self._listener.start()

    async def stop(self) -> None:
        await self._outbox.stop()
        await self._listener.stop()
