"""One user's presence facts and the rule that turns them into a visible status.

Shared by both backends (the Redis backend runs the same rule inside a Lua script).
"""
from __future__ import annotations

from dataclasses import dataclass

from messenger_gateway.presence.status import AWAY, OFFLINE, ONLINE

SETTING_OFFLINE = 0
SETTING_AWAY = 2


@dataclass(slots=True)
class UserPresence:
    alias: str
    setting: int = 1
    heartbeat_status: int = OFFLINE
    heartbeat_expires: float = 0.0
    sockets: int = 0
    grace_expires: float = 0.0
    visible: int = OFFLINE

    def evaluate(self, now: float) -> int:
        """Setting 0 hides the user; a fresh heartbeat decides; else a live socket (or its grace) is ONLINE."""
        if self.setting == SETTING_OFFLINE:
            return OFFLINE
        if self.heartbeat_expires > now:
            return self.heartbeat_status
        if self.sockets > 0 or self.grace_expires > now:
            return AWAY if self.setting == SETTING_AWAY else ONLINE
        return OFFLINE

    def next_deadline(self, now: float) -> float | None:
        """When the visible status may change by itself (a heartbeat or a grace period running out)."""
        times = [t for t in (self.heartbeat_expires, self.grace_expires if self.sockets == 0 else 0.0) if t > now]
        return min(times) if times else None

    def idle(self, now: float) -> bool:
        return self.visible == OFFLINE and self.sockets == 0 and self.next_deadline(now) is None


@dataclass(frozen=True)
class StatusChange:
    provider_id: str
    alias: str
    before: int
    after: int


def heartbeat_status(away: bool, setting: int) -> int | None:
    """What a heartbeat writes: nothing for setting 0, AWAY when away or setting 2, else ONLINE."""
    if setting == SETTING_OFFLINE:
        return None
    return AWAY if away or setting == SETTING_AWAY else ONLINE
