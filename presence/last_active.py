"""Writes last-active times to SQL in batches, so a heartbeat costs no database write."""
from __future__ import annotations

import asyncio
import logging

from presence.engine import PresenceEngine
from storage.accounts import write_last_active
from storage.database import Database

log = logging.getLogger("messenger.presence")


class LastActiveWriter:
    def __init__(self, engine: PresenceEngine, db: Database, interval_seconds: float = 10.0) -> None:
        self._engine = engine
        self._db = db
        self._interval = interval_seconds
        self._task: asyncio.Task | None = None

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

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            await self.flush()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="last-active-writer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        await self.flush()
