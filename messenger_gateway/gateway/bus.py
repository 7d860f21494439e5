"""The one event bus every part of the service publishes to.

Every emit has the Echo shape `(channel, data)`. The payload is serialised once per publish and queued straight
onto each local socket (gateway/delivery.py); with Redis, one pub/sub message per publish carries it to the other
nodes, which deliver it the same way (so `except_socket` is honoured on every node).
"""
from __future__ import annotations

import json
from typing import Any, Callable, Iterable

import orjson
import socketio
from redis.asyncio import Redis

from messenger_gateway.gateway.channels import provider_channel
from messenger_gateway.gateway.delivery import EchoRedisManager, LocalDelivery
from messenger_gateway.gateway.history import History, Position
from messenger_gateway.gateway.outbox import Outbox
from messenger_gateway.gateway.redis_listener import listeners_of


def encode(data: Any) -> str:
    """The payload as JSON, once; the standard library catches what orjson refuses (e.g. integers over 64 bits)."""
    try:
        return orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(data, separators=(",", ":"), default=str)


class EventBus:
    def __init__(self, sio: socketio.AsyncServer, max_queued_bytes: int = 1024 * 1024, outbox_size: int = 10_000,
                 redis: Redis | None = None, history: History | None = None) -> None:
        """`redis`: the node's client, to count the bus channel's listeners (the Socket.IO manager connects only
        once the first socket does). `history`: where events get their positions (none: no positions)."""
        self._sio = sio
        self.history = history
        self.delivery = LocalDelivery(sio, max_queued_bytes)
        manager = sio.manager
        self._cluster = manager if isinstance(manager, EchoRedisManager) else None
        # what the other nodes could not be sent while Redis was away, sent in order when it is back
        self.outbox: Outbox[dict[str, Any]] | None = None
        if self._cluster is not None:
            self._cluster.delivery = self.delivery
            cluster = self._cluster
            self.outbox = Outbox("event bus", cluster.send,
                                 lambda: listeners_of(redis or cluster.redis, cluster.channel), capacity=outbox_size)
        # for /metrics: plain integers, one addition per publish
        self.published = 0
        self.publish_failures = 0

    @property
    def delivered(self) -> int:
        return self.delivery.delivered

    @property
    def on_lag(self) -> Callable[[float], None] | None:
        return self._cluster.on_lag if self._cluster is not None else None

    @on_lag.setter
    def on_lag(self, observe: Callable[[float], None] | None) -> None:
        if self._cluster is not None:
            self._cluster.on_lag = observe

    async def publish(
        self, channels: Iterable[str], event: str, data: Any, except_socket: str | None = None,
        all_or_nothing: bool = False,
    ) -> bool:
        """Deliver to this node's sockets and send to the other nodes; False when the other nodes could not be
        reached now. Then the event waits in the outbox for Redis, unless `all_or_nothing`: then nobody gets it,
        not even this node's sockets, so the publisher may simply retry (the broadcast API); otherwise local
        sockets get it at once whatever Redis does."""
        unique = list(dict.fromkeys(channels))
        if not unique:
            return True
        payload = encode(data)
        self.published += 1
        skip = except_socket or None
        if all_or_nothing and self.outbox is not None and self.outbox.holding:
            self.publish_failures += 1
            return False
        positions = await self._record(unique, event, payload)
        if self._cluster is None or self.outbox is None:
            self.delivery.deliver(event, unique, payload, skip, positions)
            return True
        message = self._cluster.batch_message(event, unique, payload, skip, positions)
        if all_or_nothing:
            if self.outbox.holding or not await self._try_send(message):
                self.publish_failures += 1
                return False
            self.delivery.deliver(event, unique, payload, skip, positions)
            return True
        self.delivery.deliver(event, unique, payload, skip, positions)
        if not await self.outbox.send(message):
            self.publish_failures += 1
            return False
        return True

    async def _record(self, channels: list[str], event: str, payload: str) -> dict[str, Position] | None:
        """The event's positions in the channel history; none while Redis is known to be away (no waiting on it
        for every publish: the history just learns that it missed one)."""
        if self.history is None:
            return None
        if self.outbox is not None and self.outbox.holding:
            self.history.skipped()
            return None
        # alone, only this node's sockets can want positions; in a cluster, any node's may
        return await self.history.append(channels, event, payload,
                                         self.delivery.positioned if self._cluster is None else None)

    async def _try_send(self, message: dict[str, Any]) -> bool:
        assert self._cluster is not None
        try:
            await self._cluster.send(message)
        except ConnectionError:
            return False
        return True

    async def publish_to_providers(self, providers: Iterable[tuple[str, str]], event: str, data: Any) -> None:
        """Publish to the private channels of these (alias, id) providers."""
        await self.publish([provider_channel(alias, pid) for alias, pid in providers], event, data)

    async def publish_local(
        self, channels: Iterable[str], event: str, data: Any, except_socket: str | None = None
    ) -> None:
        """Deliver to this node's sockets only (for input every node receives by itself)."""
        unique = list(dict.fromkeys(channels))
        if unique:
            self.published += 1
            self.delivery.deliver(event, unique, encode(data), except_socket or None)

    async def emit_to_socket(self, sid: str, event: str, channel: str, data: Any) -> None:
        await self._sio.emit(event, (channel, data), to=sid)
