"""Which nodes of a cluster are alive: one Redis sorted set, node id -> the time its liveness expires.

Every node beats into it (gateway's registry), and whatever counts per node (channel members, presence sockets)
counts only live nodes. This module is the one place that names the key and reads or writes it."""
from __future__ import annotations

from typing import Any

from redis.asyncio import Redis


def nodes_key(prefix: str) -> str:
    return f"{prefix}nodes"


def _text(raw: Any) -> str:
    return raw.decode() if isinstance(raw, bytes) else str(raw)


async def beat(redis: Redis, prefix: str, node_id: str, expires_at: float) -> bool:
    """Say the node is alive until `expires_at`; True when the set did not hold it (first beat, or Redis lost it)."""
    return bool(await redis.zadd(nodes_key(prefix), {node_id: expires_at}))


async def any_expired(redis: Redis, prefix: str, now: float) -> bool:
    """Whether some node's liveness ran out without it being reaped yet (a dead node, or every node just after an
    outage of Redis, until each beats again)."""
    return bool(await redis.zcount(nodes_key(prefix), "-inf", now))


async def expired(redis: Redis, prefix: str, now: float) -> list[str]:
    """Nodes whose liveness ran out (they stopped beating)."""
    return [_text(raw) for raw in await redis.zrangebyscore(nodes_key(prefix), "-inf", now)]


async def claim_gone(redis: Redis, prefix: str, node_id: str) -> bool:
    """Take a node off the set; True for exactly one of the nodes that try (that one cleans up after it)."""
    return bool(await redis.zrem(nodes_key(prefix), node_id) == 1)


async def live(redis: Redis, prefix: str, now: float | None = None) -> set[str]:
    """Nodes alive at `now` (None: every node in the set, expired or not yet reaped)."""
    key = nodes_key(prefix)
    raws = await (redis.zrange(key, 0, -1) if now is None else redis.zrangebyscore(key, now, "+inf"))
    return {_text(raw) for raw in raws}
