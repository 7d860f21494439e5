"""Time sources. Everything that reasons about time takes a Clock so tests can move time forward."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Current UTC time as a naive datetime (how it is stored)."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin, never going backwards."""

    def time(self) -> float:
        """Seconds since the epoch (shared between nodes, unlike monotonic())."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc).replace(tzinfo=None)

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()


class ManualClock:
    """A clock that only moves when told to; starts at the real current time."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or SystemClock().now()
        self._mono = 1000.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def time(self) -> float:
        return self._now.replace(tzinfo=timezone.utc).timestamp()

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._mono += seconds
