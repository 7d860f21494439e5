"""The presence rules of spec section 4: heartbeats and the user's own online_status setting."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from core.clock import Clock
from presence.status import AWAY, OFFLINE, ONLINE
from presence.store import StatusStore

SETTING_OFFLINE = 0
SETTING_AWAY = 2


class PresenceEngine:
    def __init__(self, store: StatusStore, clock: Clock, lifetime_minutes: int, enabled: bool = True) -> None:
        self.store = store
        self.clock = clock
        self.enabled = enabled
        self.lifetime_seconds = lifetime_minutes * 60.0
        # last activity per provider, written to SQL in batches by LastActiveWriter
        self._last_active: dict[str, datetime] = {}
        self._dirty: set[str] = set()

    async def heartbeat(self, provider_id: str, away: bool, setting: int) -> int:
        """Apply a heartbeat and return the caller's visible status afterwards."""
        if not self.enabled:
            return OFFLINE
        if setting != SETTING_OFFLINE:
            self.touch(provider_id)
            status = AWAY if away or setting == SETTING_AWAY else ONLINE
            await self.store.put(provider_id, status, self.lifetime_seconds)
        return await self.status_of(provider_id)

    async def apply_setting(self, provider_id: str, setting: int) -> int:
        """A changed online_status setting takes effect at once (HEAD behaviour)."""
        if not self.enabled:
            return OFFLINE
        if setting == SETTING_OFFLINE:
            await self.store.delete(provider_id)
        else:
            self.touch(provider_id)
            await self.store.put(provider_id, AWAY if setting == SETTING_AWAY else ONLINE, self.lifetime_seconds)
        return await self.status_of(provider_id)

    async def status_of(self, provider_id: str) -> int:
        return (await self.statuses([provider_id]))[provider_id]

    async def statuses(self, provider_ids: Iterable[str]) -> dict[str, int]:
        ids = list(provider_ids)
        if not self.enabled:
            return {pid: OFFLINE for pid in ids}
        return await self.store.get_many(ids)

    def touch(self, provider_id: str) -> None:
        self._last_active[provider_id] = self.clock.now()
        self._dirty.add(provider_id)

    def last_active(self, provider_id: str) -> datetime | None:
        return self._last_active.get(provider_id)

    def take_dirty(self) -> dict[str, datetime]:
        """The last-active times changed since the previous call (for the batch writer)."""
        dirty = {pid: self._last_active[pid] for pid in self._dirty}
        self._dirty.clear()
        return dirty

    def requeue(self, dirty: dict[str, datetime]) -> None:
        """Put back times whose write failed, unless a newer one arrived meanwhile."""
        for pid, when in dirty.items():
            if self._last_active.get(pid, when) <= when:
                self._dirty.add(pid)
