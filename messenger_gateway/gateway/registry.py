"""Who is in which channel: room occupancy and presence-channel members, on one node or across many.

The in-memory registry serves one node. The Redis registry (gateway.redis_registry) keeps the same facts
in Redis so every node sees every member, with per-node liveness so a dead node's members are removed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Member:
    user_id: Any
    user_info: Any

    def wire(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "user_info": self.user_info}


def user_key(user_id: Any) -> str:
    return str(user_id)


class ChannelRegistry(Protocol):
    async def join_presence(self, channel: str, sid: str, member: Member) -> bool:
        """Record the socket as a member; True when it is that user's first socket in the channel."""

    async def leave_presence(self, channel: str, sid: str) -> Member | None:
        """Forget the socket; the member when it was that user's last socket in the channel."""

    async def members(self, channel: str) -> list[Member]:
        """One entry per user, however many sockets they have in the channel."""

    async def room_joined(self, channel: str) -> None: ...

    async def room_left(self, channel: str) -> None: ...

    async def room_counts(self, prefix: str = "") -> dict[str, int]:
        """Sockets per channel across the cluster, for channels starting with `prefix`."""

    async def connections_changed(self, delta: int) -> None:
        """This node gained (+1) or lost (-1) a connection."""

    async def connection_count(self) -> int:
        """Open connections across the cluster."""

    async def resync(self, local: "LocalState") -> list[tuple[str, Member]]:
        """Make the shared facts about this node's sockets what `local` says (after an outage of the store):
        returns the (channel, member) pairs that thereby left a presence channel."""


@dataclass
class LocalState:
    """What this node knows for certain about its own sockets."""
    presence: list[tuple[str, str, Member]]  # (channel, sid, member) of every presence-channel subscription
    rooms: dict[str, int]  # sockets per channel
    connections: int


class MemoryRegistry:
    def __init__(self) -> None:
        self._presence: dict[str, dict[str, tuple[Member, set[str]]]] = {}
        self._sid_user: dict[tuple[str, str], str] = {}
        self._rooms: dict[str, int] = {}
        self._connections = 0

    async def join_presence(self, channel: str, sid: str, member: Member) -> bool:
        if (channel, sid) in self._sid_user:
            return False
        users = self._presence.setdefault(channel, {})
        key = user_key(member.user_id)
        entry = users.get(key)
        self._sid_user[(channel, sid)] = key
        if entry is None:
            users[key] = (member, {sid})
            return True
        users[key] = (member, entry[1] | {sid})
        return False

    async def leave_presence(self, channel: str, sid: str) -> Member | None:
        key = self._sid_user.pop((channel, sid), None)
        if key is None:
            return None
        users = self._presence.get(channel, {})
        member, sids = users[key]
        sids.discard(sid)
        if sids:
            return None
        del users[key]
        if not users:
            self._presence.pop(channel, None)
        return member

    async def members(self, channel: str) -> list[Member]:
        return [member for member, _ in self._presence.get(channel, {}).values()]

    async def room_joined(self, channel: str) -> None:
        self._rooms[channel] = self._rooms.get(channel, 0) + 1

    async def room_left(self, channel: str) -> None:
        count = self._rooms.get(channel, 0) - 1
        if count > 0:
            self._rooms[channel] = count
        else:
            self._rooms.pop(channel, None)

    async def room_counts(self, prefix: str = "") -> dict[str, int]:
        return {name: n for name, n in self._rooms.items() if name.startswith(prefix)}

    async def connections_changed(self, delta: int) -> None:
        self._connections += delta

    async def connection_count(self) -> int:
        return self._connections

    async def resync(self, local: LocalState) -> list[tuple[str, Member]]:
        return []  # the facts live in this process: nothing was lost
