"""Laravel's `redis` broadcaster as input: PSUBSCRIBE <prefix>*, messages {event, data, socket}.

Every node subscribes by itself, so each delivers to its own sockets only (no re-publishing).
"""
from __future__ import annotations

import asyncio
import logging

import orjson
from redis.asyncio import Redis

from gateway.bus import EventBus

log = logging.getLogger("messenger.gateway")


class RedisSubscriber:
    def __init__(self, redis: Redis, prefix: str, bus: EventBus) -> None:
        self._redis = redis
        self._prefix = prefix
        self._bus = bus
        self._task: asyncio.Task | None = None
        self._ready = asyncio.Event()
        self._stopping = False

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen(), name="redis-broadcast-subscriber")
        await asyncio.wait_for(self._ready.wait(), timeout=10)

    async def _listen(self) -> None:
        while True:
            try:
                pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
                await pubsub.psubscribe(f"{self._prefix}*")
                self._ready.set()
                async for message in pubsub.listen():
                    await self._handle(message)
            except asyncio.CancelledError:
                raise
            except Exception:
                if self._stopping:
                    return  # redis-py may report our own cancellation as a connection error
                log.exception("redis broadcast subscriber lost its connection; reconnecting")
                await asyncio.sleep(1)

    async def _handle(self, message: dict) -> None:
        raw_channel = message.get("channel")
        channel = raw_channel.decode() if isinstance(raw_channel, bytes) else str(raw_channel)
        try:
            payload = orjson.loads(message.get("data"))
        except (orjson.JSONDecodeError, TypeError):
            return
        if not isinstance(payload, dict) or not isinstance(payload.get("event"), str):
            return
        if "host_id" in payload and "method" in payload:
            return  # python-socketio's own fan-out traffic, seen when the prefix is empty
        socket = payload.get("socket")
        await self._bus.publish_local(
            [channel[len(self._prefix):]], payload["event"], payload.get("data"),
            except_socket=socket if isinstance(socket, str) else None,
        )

    async def stop(self) -> None:
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait([self._task], timeout=5)
