"""Writes last-active times to SQL in batches, so a heartbeat costs no database write."""
from __future__ import annotations

import logging

from messenger_gateway.core.tasks import PeriodicTask
from messenger_gateway.presence.engine import PresenceEngine
from messenger_gateway.storage.accounts import write_last_active
from messenger_gateway.storage.database import Database

log = logging.getLogger("messenger.presence")


class LastActiveWriter:
    def __init__(self, engine: PresenceEngine, db: Database, interval_seconds: float = 10.0) -> None:
        self._engine = engine
        self._db = db
        self._task = PeriodicTask("last-active-writer", interval_seconds, self.flush)

    async def flush(self) -> int:
        dirty = self._engine.take_dirty()
        if not dirty:
            return 0
        try:
            async with self._db.session() as session:
                await write_last_active(session, dirty)
                await session.commit()
        except Exception:
            log.exception("could not write last-active times; will retry")
            self._engine.requeue(dirty)
            return 0
        return len(dirty)

    def start(self) -> None:
        self._task.start()

    async def stop(self) -> None:
        await self._task.stop()
        await self.flush()
