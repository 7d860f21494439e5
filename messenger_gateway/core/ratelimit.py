"""Per-key request limits over a fixed window that starts at the key's first hit (Laravel's throttle:N,1).

On one node the counts live in memory (and follow the injectable clock). In a cluster they live in Redis, through
the `limits` library, so a limit holds across every node; while Redis is unreachable each node falls back to its
own memory counts (per-node limits for the length of the outage, rather than none, or refusing everyone).
"""
from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Protocol

from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from redis.asyncio import ConnectionPool

from messenger_gateway.core.clock import Clock
from messenger_gateway.core.errors import ApiError
from messenger_gateway.core.outages import describe, is_outage

log = logging.getLogger("messenger")


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int

    def headers(self) -> dict[str, str]:
        headers = {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining)}
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


def too_many(decision: RateDecision) -> ApiError:
    return ApiError(429, "Too Many Attempts.", headers=decision.headers())


class RateLimiter(Protocol):
    limit: int

    async def hit(self, key: str) -> RateDecision:
        """Count one attempt for `key`; whether it is allowed, and what is left of the window."""
        ...

    async def enforce(self, key: str) -> RateDecision:
        """`hit`, raising 429 "Too Many Attempts." with Retry-After when the attempt is over the limit."""
        ...


class MemoryRateLimiter:
    def __init__(self, limit: int, window_seconds: float, clock: Clock) -> None:
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}

    async def hit(self, key: str) -> RateDecision:
        return self.hit_now(key)

    def hit_now(self, key: str) -> RateDecision:
        now = self._clock.monotonic()
        if len(self._windows) > 10_000:
            self._purge(now)
        start, count = self._windows.get(key, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        retry_after = max(1, math.ceil(start + self.window - now))
        if count >= self.limit:
            return RateDecision(False, self.limit, 0, retry_after)
        self._windows[key] = (start, count + 1)
        return RateDecision(True, self.limit, self.limit - count - 1, retry_after)

    async def enforce(self, key: str) -> RateDecision:
        decision = self.hit_now(key)
        if not decision.allowed:
            raise too_many(decision)
        return decision

    def _purge(self, now: float) -> None:
        self._windows = {k: v for k, v in self._windows.items() if now - v[0] < self.window}


class RedisRateLimiter:
    """The same limit for the whole cluster: one counter per key in Redis, in `limits`' fixed-window layout (its
    storage's INCR with an expiry set by the first hit). One round trip per attempt; a refusal also reads when the
    window ends, for Retry-After."""

    def __init__(self, name: str, limit: int, window_seconds: float, storage: RedisStorage,
                 fallback: MemoryRateLimiter) -> None:
        self.name = name
        self.limit = limit
        self._item = RateLimitItemPerSecond(limit, max(1, math.ceil(window_seconds)))
        self._storage = storage
        self._fallback = fallback
        self._falling_back = False

    async def hit(self, key: str) -> RateDecision:
        counter = self._item.key_for(self.name, key)
        try:
            count = await self._storage.incr(counter, self._item.get_expiry())
            if count <= self.limit:
                decision = RateDecision(True, self.limit, self.limit - count, self._item.get_expiry())
            else:
                ends = await self._storage.get_expiry(counter)
                decision = RateDecision(False, self.limit, 0, max(1, math.ceil(ends - time.time())))
        except Exception as exc:
            if not is_outage(exc):
                raise
            if not self._falling_back:
                self._falling_back = True
                log.warning("rate limit %s: Redis is unreachable (%s); counting on this node until it is back",
                            self.name, describe(exc))
            return self._fallback.hit_now(key)
        self._falling_back = False
        return decision

    async def enforce(self, key: str) -> RateDecision:
        decision = await self.hit(key)
        if not decision.allowed:
            raise too_many(decision)
        return decision


def redis_limits_storage(pool: ConnectionPool, prefix: str) -> RedisStorage:
    """`limits`' Redis storage on the node's own connection pool, its keys under the cluster's prefix."""
    return RedisStorage("async+redis://", implementation="redispy", key_prefix=f"{prefix}limits",
                        connection_pool=pool)  # type: ignore[arg-type]  # its stubs type **options too narrowly
