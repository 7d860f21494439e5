"""A Redis pub/sub subscription that reconnects by itself and hands every message to a callback."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

from redis.asyncio import Redis
from redis.asyncio.client import PubSub

from messenger_gateway.core.outages import describe, is_outage

log = logging.getLogger("messenger.gateway")


async def listeners_of(redis: Redis, channel: str) -> int:
    """Subscribers of a pub/sub channel now (PUBSUB NUMSUB)."""
    counts = await redis.pubsub_numsub(channel)
    return int(counts[0][1]) if counts else 0


class RedisListener:
    def __init__(
        self, redis: Redis, name: str, subscribe: Callable[[PubSub], Awaitable[Any]],
        handle: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        self._redis = redis
        self._name = name
        self._subscribe = subscribe
        self._handle = handle
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._stopping = False

    async def start(self) -> None:
        """Subscribe, and return once the subscription is in place."""
        self._task = asyncio.create_task(self._listen(), name=self._name)
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def _listen(self) -> None:
        failing = False
        while True:
            try:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                await self._subscribe(pubsub)
                self._ready.set()
                if failing:
                    log.info("%s listens to Redis again", self._name)
                failing = False
                async for message in pubsub.listen():
                    try:
                        await self._handle(message)
                    except Exception:
                        log.exception("%s could not handle a message", self._name)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._stopping:
                    return  # redis-py may report our own cancellation as a connection error
                if not is_outage(exc):
                    log.exception("%s failed; listening again", self._name)
                elif not failing:  # one line per outage
                    log.warning("%s lost Redis (%s); listening again every second", self._name, describe(exc))
                failing = True
                await asyncio.sleep(1)

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task], timeout=5)
