"""Per-key request limits over a fixed window (Laravel's throttle:N,1 behaviour)."""
from __future__ import annotations

import math
from dataclasses import dataclass

from core.clock import Clock
from core.errors import ApiError


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


class RateLimiter:
    def __init__(self, limit: int, window_seconds: float, clock: Clock) -> None:
        self.limit = limit
        self.window = window_seconds
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str) -> RateDecision:
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

    def enforce(self, key: str) -> RateDecision:
        decision = self.hit(key)
        if not decision.allowed:
            raise ApiError(429, "Too Many Attempts.", headers=decision.headers())
        return decision

    def _purge(self, now: float) -> None:
        self._windows = {k: v for k, v in self._windows.items() if now - v[0] < self.window}
