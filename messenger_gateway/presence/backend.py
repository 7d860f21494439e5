"""Where presence facts live. The in-memory backend serves one node; presence.redis_backend serves many."""
from __future__ import annotations

import heapq
from typing import Iterable, Protocol

from messenger_gateway.presence.state import SETTING_AWAY, SETTING_OFFLINE, StatusChange, UserPresence
from messenger_gateway.presence.status import AWAY, OFFLINE, ONLINE


class PresenceBackend(Protocol):
    async def heartbeat(self, pid: str, alias: str, setting: int, status: int | None, ttl: float, now: float) -> StatusChange | None: ...

    async def apply_setting(self, pid: str, alias: str, setting: int, ttl: float, now: float) -> StatusChange | None: ...

    async def socket_opened(self, pid: str, alias: str, setting: int, now: float) -> StatusChange | None: ...

    async def socket_closed(self, pid: str, grace: float, now: float) -> StatusChange | None: ...

    async def sweep(self, now: float) -> list[StatusChange]: ...

    async def statuses(self, pids: Iterable[str], now: float) -> dict[str, int]: ...

    async def sockets_of(self, pid: str, now: float) -> int:
        """The user's open sockets on every live node."""
        ...

    async def node_gone(self, node: str, grace: float, now: float) -> list[StatusChange]:
        """Another node died: its sockets stop counting (a backend shared between nodes; others have none)."""
        ...

    async def resync_node(
        self, sockets: dict[str, tuple[str, int, int]], beats: dict[str, tuple[str, int, int, float]],
        grace: float, now: float,
    ) -> list[StatusChange]:
        """Re-assert this node's inputs in a shared backend after it lost them: `sockets` is provider id ->
        (alias, setting, open sockets here), `beats` provider id -> (alias, setting, status, expires at)."""
        ...


class MemoryPresenceBackend:
    """Facts in a dict; due times in a heap holding at most one entry per user (no per-user timers)."""

    def __init__(self) -> None:
        self._users: dict[str, UserPresence] = {}
        self._due: list[tuple[float, str]] = []
        self._scheduled: dict[str, float] = {}

    def _get(self, pid: str, alias: str) -> UserPresence:
        state = self._users.get(pid)
        if state is None:
            state = self._users[pid] = UserPresence(alias=alias)
        state.alias = alias
        return state

    def _settle(self, pid: str, state: UserPresence, now: float) -> StatusChange | None:
        before, state.visible = state.visible, state.evaluate(now)
        deadline = state.next_deadline(now)
        if deadline is not None and (pid not in self._scheduled or self._scheduled[pid] > deadline):
            self._scheduled[pid] = deadline
            heapq.heappush(self._due, (deadline, pid))
        if state.idle(now):
            del self._users[pid]
        return StatusChange(pid, state.alias, before, state.visible) if before != state.visible else None

    async def heartbeat(self, pid: str, alias: str, setting: int, status: int | None, ttl: float, now: float) -> StatusChange | None:
        state = self._get(pid, alias)
        state.setting = setting
        if status is not None:
            state.heartbeat_status, state.heartbeat_expires = status, now + ttl
        return self._settle(pid, state, now)

    async def apply_setting(self, pid: str, alias: str, setting: int, ttl: float, now: float) -> StatusChange | None:
        state = self._get(pid, alias)
        state.setting = setting
        if setting == SETTING_OFFLINE:
            state.heartbeat_status, state.heartbeat_expires = OFFLINE, 0.0
        else:
            state.heartbeat_status = AWAY if setting == SETTING_AWAY else ONLINE
            state.heartbeat_expires = now + ttl
        return self._settle(pid, state, now)

    async def socket_opened(self, pid: str, alias: str, setting: int, now: float) -> StatusChange | None:
        state = self._get(pid, alias)
        state.setting = setting
        state.sockets += 1
        return self._settle(pid, state, now)

    async def socket_closed(self, pid: str, grace: float, now: float) -> StatusChange | None:
        state = self._users.get(pid)
        if state is None:
            return None
        state.sockets = max(0, state.sockets - 1)
        if state.sockets == 0:
            state.grace_expires = now + grace
        return self._settle(pid, state, now)

    async def sweep(self, now: float) -> list[StatusChange]:
        changes = []
        while self._due and self._due[0][0] <= now:
            _, pid = heapq.heappop(self._due)
            self._scheduled.pop(pid, None)
            state = self._users.get(pid)
            if state is None:
                continue
            change = self._settle(pid, state, now)
            if change is not None:
                changes.append(change)
        return changes

    async def statuses(self, pids: Iterable[str], now: float) -> dict[str, int]:
        result = {}
        for pid in pids:
            state = self._users.get(pid)
            result[pid] = state.evaluate(now) if state is not None else OFFLINE
        return result

    async def sockets_of(self, pid: str, now: float) -> int:
        state = self._users.get(pid)
        return state.sockets if state is not None else 0

    async def node_gone(self, node: str, grace: float, now: float) -> list[StatusChange]:
        return []  # one node: there are no others whose sockets could count

    async def resync_node(
        self, sockets: dict[str, tuple[str, int, int]], beats: dict[str, tuple[str, int, int, float]],
        grace: float, now: float,
    ) -> list[StatusChange]:
        return []  # the facts live in this process: nothing was lost

    def tracked_users(self) -> int:
        return len(self._users)
