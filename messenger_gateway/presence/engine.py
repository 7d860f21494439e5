"""The presence engine: heartbeats, live sockets and the online_status setting decide each user's visible
status; every real change is handed to the listeners (the broadcaster pushes it as `online.status`).
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Awaitable, Callable, Iterable

from messenger_gateway.core.clock import Clock
from messenger_gateway.core.outages import describe, is_outage
from messenger_gateway.core.tasks import PeriodicTask
from messenger_gateway.presence.backend import PresenceBackend
from messenger_gateway.presence.state import SETTING_OFFLINE, StatusChange, heartbeat_status
from messenger_gateway.presence.status import OFFLINE, verbose

log = logging.getLogger("messenger.presence")
Listener = Callable[[StatusChange], Awaitable[None]]


class PresenceEngine:
    def __init__(
        self, backend: PresenceBackend, clock: Clock, lifetime_minutes: int, enabled: bool = True,
        offline_grace_seconds: float = 15.0, sweep_interval_seconds: float = 1.0, shared_backend: bool = False,
    ) -> None:
        """`shared_backend`: the facts live outside this process (Redis) and may be lost, so this node remembers
        the heartbeats it took, to re-assert them (on one node nothing is remembered: nothing can be lost)."""
        self.backend = backend
        self._remember_beats = shared_backend
        self.clock = clock
        self.enabled = enabled
        self.lifetime_seconds = lifetime_minutes * 60.0
        self.grace_seconds = offline_grace_seconds
        self.sweep_interval = sweep_interval_seconds
        self._listeners: list[Listener] = []
        self._sweeper = PeriodicTask("presence-sweeper", sweep_interval_seconds, self.sweep)
        # last activity per provider, written to SQL in batches by LastActiveWriter
        self._last_active: dict[str, datetime] = {}
        self._dirty: set[str] = set()
        # for /metrics: heartbeats received, status changes decided by new status
        self.heartbeats = 0
        self._changes_to: dict[int, int] = {}
        self._draining = False
        self._hidden: set[str] = set()  # users whose setting is "appear offline": their last active time stays put
        # heartbeats this node took that may still be running: provider id -> (alias, setting, status, expires at),
        # re-asserted if a shared backend lost them; pruned once per heartbeat lifetime
        self._beats: dict[str, tuple[str, int, int, float]] = {}
        self._prune_beats_at = 0.0
        self._unapplied: dict[str, tuple[str, int]] = {}  # settings changed while the backend was unreachable
        self._backend_lost = False  # logged once per outage

    def status_changes(self) -> dict[str, int]:
        return {verbose(status): count for status, count in sorted(self._changes_to.items())}

    def begin_drain(self) -> None:
        """This node is going away: sockets it closes from now on count as gone at once (no grace period), so
        their users turn OFFLINE now unless they are connected elsewhere or their heartbeat is fresh."""
        self._draining = True

    def on_change(self, listener: Listener) -> None:
        self._listeners.append(listener)

    async def _emit(self, change: StatusChange | None) -> None:
        if change is None:
            return
        self._changes_to[change.after] = self._changes_to.get(change.after, 0) + 1
        for listener in self._listeners:
            try:
                await listener(change)
            except Exception:
                log.exception("status change listener failed for %s", change.provider_id)

    # -- inputs --------------------------------------------------------------------------------------
    async def heartbeat(self, provider_id: str, alias: str, away: bool, setting: int) -> int:
        """Apply a heartbeat and return the caller's visible status afterwards."""
        self.heartbeats += 1
        if not self.enabled:
            return OFFLINE
        self._note_setting(provider_id, setting)
        status = heartbeat_status(away, setting)
        if status is not None:
            self.touch(provider_id)
        now = self.clock.time()
        await self._emit(await self.backend.heartbeat(provider_id, alias, setting, status, self.lifetime_seconds, now))
        if status is not None and self._remember_beats:
            self._beats[provider_id] = (alias, setting, status, now + self.lifetime_seconds)
        return await self.status_of(provider_id)

    async def apply_setting(self, provider_id: str, alias: str, setting: int) -> int:
        """A changed online_status setting takes effect (and is pushed) at once."""
        if not self.enabled:
            return OFFLINE
        self._note_setting(provider_id, setting)
        now = self.clock.time()
        try:
            change = await self.backend.apply_setting(provider_id, alias, setting, self.lifetime_seconds, now)
        except Exception as exc:
            if not is_outage(exc):
                raise
            # the setting is stored already: it takes effect when the backend is back (resync)
            self._outage("a changed setting waits", exc)
            self._unapplied[provider_id] = (alias, setting)
            return OFFLINE
        await self._emit(change)
        return await self.status_of(provider_id)

    async def socket_opened(self, provider_id: str, alias: str, setting: int) -> None:
        if not self.enabled:
            return
        self._note_setting(provider_id, setting)
        self.touch(provider_id)
        await self._emit(await self.backend.socket_opened(provider_id, alias, setting, self.clock.time()))

    async def socket_closed(self, provider_id: str) -> None:
        if not self.enabled:
            return
        self.touch(provider_id)
        grace = 0.0 if self._draining else self.grace_seconds
        await self._emit(await self.backend.socket_closed(provider_id, grace, self.clock.time()))

    async def node_gone(self, node: str) -> None:
        """Another node died: its sockets stop counting (only backends shared between nodes know nodes)."""
        if not self.enabled:
            return
        for change in await self.backend.node_gone(node, self.grace_seconds, self.clock.time()):
            await self._emit(change)

    async def resync(self, sockets: dict[str, tuple[str, int, int]]) -> None:
        """The shared backend may have lost this node's inputs (Redis was away, or came back empty): re-assert
        them, `sockets` being provider id -> (alias, setting, open sockets on this node), and push what changes."""
        if not self.enabled:
            return
        now = self.clock.time()
        self._prune_beats(now)
        for change in await self.backend.resync_node(sockets, dict(self._beats), self.grace_seconds, now):
            await self._emit(change)
        unapplied, self._unapplied = self._unapplied, {}
        for provider_id, (alias, setting) in unapplied.items():
            await self._emit(await self.backend.apply_setting(provider_id, alias, setting, self.lifetime_seconds, now))
        self._backend_lost = False

    def _prune_beats(self, now: float) -> None:
        self._beats = {pid: beat for pid, beat in self._beats.items() if beat[3] > now}
        self._prune_beats_at = now + self.lifetime_seconds

    async def sweep(self) -> int:
        """Settle every user whose heartbeat or grace period ran out; push the changes."""
        if self._beats and self.clock.time() >= self._prune_beats_at:
            self._prune_beats(self.clock.time())
        changes = await self.backend.sweep(self.clock.time())
        for change in changes:
            await self._emit(change)
        return len(changes)

    # -- reads ---------------------------------------------------------------------------------------
    async def status_of(self, provider_id: str) -> int:
        return (await self.statuses([provider_id]))[provider_id]

    async def statuses(self, provider_ids: Iterable[str]) -> dict[str, int]:
        """Visible statuses; while the backend is unreachable everyone reads as OFFLINE (threads, messages and
        friends stay readable; nothing is pushed, so nobody's screen shows a false change)."""
        ids = list(provider_ids)
        if not self.enabled:
            return {pid: OFFLINE for pid in ids}
        try:
            return await self.backend.statuses(ids, self.clock.time())
        except Exception as exc:
            if not is_outage(exc):
                raise
            self._outage("statuses read as OFFLINE", exc)
            return {pid: OFFLINE for pid in ids}

    def _outage(self, consequence: str, exc: BaseException) -> None:
        if not self._backend_lost:
            self._backend_lost = True
            log.warning("presence backend unreachable (%s): %s until it is back", describe(exc), consequence)

    async def open_sockets(self, provider_id: str) -> int:
        """The user's open sockets on every node (0 when online status is disabled: then nothing counts them)."""
        if not self.enabled:
            return 0
        return await self.backend.sockets_of(provider_id, self.clock.time())

    # -- last active ---------------------------------------------------------------------------------
    def _note_setting(self, provider_id: str, setting: int) -> None:
        if setting == SETTING_OFFLINE:
            self._hidden.add(provider_id)
        else:
            self._hidden.discard(provider_id)

    def touch(self, provider_id: str) -> None:
        if provider_id in self._hidden:
            return  # "appear offline": friends must not see the time moving
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

    # -- sweeper -------------------------------------------------------------------------------------
    def start(self) -> None:
        if self.enabled:
            self._sweeper.start()

    async def stop(self) -> None:
        await self._sweeper.stop()
