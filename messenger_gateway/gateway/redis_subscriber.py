"""Laravel's `redis` broadcaster as input: PSUBSCRIBE <prefix>*, messages {event, data, socket}.

Every node subscribes by itself, so each delivers to its own sockets only (no re-publishing).
"""
from __future__ import annotations

from typing import Any

import orjson
from redis.asyncio import Redis

from messenger_gateway.gateway.bus import EventBus
from messenger_gateway.gateway.redis_listener import RedisListener


class RedisSubscriber:
    def __init__(self, redis: Redis, prefix: str, bus: EventBus) -> None:
        self._prefix = prefix
        self._bus = bus
        self._listener = RedisListener(
            redis, "redis-broadcast-subscriber", lambda ps: ps.psubscribe(f"{prefix}*"), self._handle
        )

    async def start(self) -> None:
        await self._listener.start()

    async def stop(self) -> None:
        await self._listener.stop()

    async def _handle(self, message: dict[str, Any]) -> None:
        raw_channel = message.get("channel")
        channel = raw_channel.decode() if isinstance(raw_channel, bytes) else str(raw_channel)
        data = message.get("data")
        if not isinstance(data, (bytes, str)):
            return
        try:
            payload = orjson.loads(data)
        except orjson.JSONDecodeError:
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
