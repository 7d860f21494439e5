"""Where visible statuses live. One interface; the in-memory backend is here, Redis joins it later."""
from __future__ import annotations

from typing import Iterable, Protocol

from core.clock import Clock
from presence.status import OFFLINE


class StatusStore(Protocol):
    async def put(self, provider_id: str, status: int, ttl_seconds: float) -> int:
        """Store `status` for `ttl_seconds`; return the status that was visible before."""

    async def delete(self, provider_id: str) -> int:
        """Forget the status (the user shows OFFLINE); return the status that was visible before."""

    async def get_many(self, provider_ids: Iterable[str]) -> dict[str, int]:
        """Visible status of each id (OFFLINE when unknown or expired)."""


class MemoryStatusStore:
    """Statuses in a dict with monotonic expiry times; expired entries read as OFFLINE."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._entries: dict[str, tuple[int, float]] = {}

    def _visible(self, provider_id: str) -> int:
        entry = self._entries.get(provider_id)
        if entry is None:
            return OFFLINE
        status, expires = entry
        if expires <= self._clock.monotonic():
            del self._entries[provider_id]
            return OFFLINE
        return status

    async def put(self, provider_id: str, status: int, ttl_seconds: float) -> int:
        before = self._visible(provider_id)
        self._entries[provider_id] = (status, self._clock.monotonic() + ttl_seconds)
        return before

    async def delete(self, provider_id: str) -> int:
        before = self._visible(provider_id)
        self._entries.pop(provider_id, None)
        return before

    async def get_many(self, provider_ids: Iterable[str]) -> dict[str, int]:
        return {pid: self._visible(pid) for pid in provider_ids}
