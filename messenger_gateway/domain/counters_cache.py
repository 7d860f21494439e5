"""The heartbeat's three counters (active calls, unread threads, pending friends) remembered per provider, so the
common heartbeat runs no SQL at all.

Entries live long (users beat every ~2 minutes) and are dropped exactly when something they count may have
changed: every action that touches a thread, a call or a friend request calls `changed(ids)`, which drops the
entries here and, through the control channel, on every other node. A lookup that raced with a drop does not
store its (possibly stale) result.
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.core.clock import Clock
from messenger_gateway.gateway.control import LocalControl
from messenger_gateway.gateway.control_messages import ControlMessage, CountersChanged
from messenger_gateway.storage.counters import Counters, counters


class CountersCache:
    def __init__(self, clock: Clock, ttl_seconds: float = 600.0, max_entries: int = 200_000,
                 control: LocalControl | None = None) -> None:
        self._clock = clock
        self.ttl = ttl_seconds
        self._max = max_entries
        self._entries: dict[str, tuple[Counters, float]] = {}
        self._epoch = 0  # bumped by every drop
        self.control = control

    async def get(self, session: AsyncSession, provider_id: str, friendable: bool) -> Counters:
        entry = self._entries.get(provider_id)
        if entry is not None and entry[1] > self._clock.monotonic():
            return entry[0]
        epoch = self._epoch
        fresh = await counters(session, provider_id, friendable)
        if epoch == self._epoch and self.ttl > 0:
            if len(self._entries) >= self._max:
                self._entries.pop(next(iter(self._entries)))
            self._entries[provider_id] = (fresh, self._clock.monotonic() + self.ttl)
        return fresh

    def clear(self) -> None:
        """Forget everything (after an outage of Redis, when changes on other nodes may have been missed)."""
        self._epoch += 1
        self._entries.clear()

    def drop(self, provider_ids: Iterable[str]) -> None:
        self._epoch += 1
        for provider_id in provider_ids:
            self._entries.pop(provider_id, None)

    async def changed(self, provider_ids: Iterable[str]) -> None:
        """Forget these providers' counters on every node."""
        ids = list(dict.fromkeys(provider_ids))
        if not ids:
            return
        self.drop(ids)  # at once here, before any other request on this node can read them
        if self.control is not None:
            await self.control.publish(CountersChanged(tuple(ids)))

    async def on_control(self, message: ControlMessage) -> None:
        if isinstance(message, CountersChanged):
            self.drop(message.provider_ids)
