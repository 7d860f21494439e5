"""Pushes each visible-status change as `online.status` to everyone who should see it (spec issue 4.5)."""
from __future__ import annotations

from typing import Any

from core.jsonio import iso
from gateway.bus import EventBus
from gateway.channels import provider_channel, thread_channel
from presence.engine import PresenceEngine
from presence.state import StatusChange
from presence.status import verbose
from storage.audience import status_audience
from storage.database import Database

EVENT = "online.status"


class StatusBroadcaster:
    def __init__(self, db: Database, bus: EventBus, engine: PresenceEngine) -> None:
        self._db = db
        self._bus = bus
        self._engine = engine

    def payload(self, change: StatusChange) -> dict[str, Any]:
        return {
            "provider_id": change.provider_id,
            "provider_alias": change.alias,
            "online_status": change.after,
            "online_status_verbose": verbose(change.after),
            "last_active": iso(self._engine.last_active(change.provider_id)),
        }

    async def __call__(self, change: StatusChange) -> None:
        async with self._db.session() as session:
            audience = await status_audience(session, change.provider_id)
        targets = [provider_channel(alias, pid) for alias, pid in audience.providers]
        targets += [thread_channel(t) for t in audience.group_threads]
        if targets:
            await self._bus.publish(targets, EVENT, self.payload(change))
