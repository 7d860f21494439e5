"""Instructions for every node (disconnect a revoked token's sockets, evict a user from a channel)."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

import orjson
from redis.asyncio import Redis

log = logging.getLogger("messenger.gateway")
Handler = Callable[[dict[str, Any]], Awaitable[None]]


class LocalControl:
    """One node: an instruction is carried out right here."""

    def __init__(self) -> None:
        self._handlers: list[Handler] = []

    def on_message(self, handler: Handler) -> None:
        self._handlers.append(handler)

    async def publish(self, message: dict[str, Any]) -> None:
        for handler in self._handlers:
            await handler(message)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class RedisControl(LocalControl):
    """Several nodes: instructions travel over a Redis pub/sub channel and each node carries them out."""

    def __init__(self, redis: Redis, channel: str = "mg:control") -> None:
        super().__init__()
        self._redis = redis
        self._channel = channel
        self._task: asyncio.Task | None = None
        self._ready = asyncio.Event()
        self._stopping = False

    async def publish(self, message: dict[str, Any]) -> None:
        await self._redis.publish(self._channel, orjson.dumps(message))

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="gateway-control")
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def _listen(self) -> None:
        while True:
            try:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                await pubsub.subscribe(self._channel)
                self._ready.set()
                async for raw in pubsub.listen():
                    try:
                        message = orjson.loads(raw["data"])
                    except orjson.JSONDecodeError:
                        continue
                    for handler in self._handlers:
                        try:
                            await handler(message)
                        except Exception:
                            log.exception("control message %s failed", message.get("type"))
            except asyncio.CancelledError:
                raise
            except Exception:
                if self._stopping:
                    return  # redis-py may report our own cancellation as a connection error
                log.exception("control channel lost; reconnecting")
                await asyncio.sleep(1)

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task], timeout=5)
