"""The online-status enum as it travels on the wire."""
from __future__ import annotations

OFFLINE = 0
ONLINE = 1
AWAY = 2

VERBOSE = {OFFLINE: "OFFLINE", ONLINE: "ONLINE", AWAY: "AWAY"}


def verbose(status: int) -> str:
    return VERBOSE.get(status, "OFFLINE")
