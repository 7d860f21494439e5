"""Pushes each visible-status change as `online.status` to everyone who should see it.

Changes are queued and pushed by one worker task: the request (or sweep) that caused a change never waits
for the audience query, and never needs a second database connection while holding one.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from messenger_gateway.core.jsonio import iso
from messenger_gateway.gateway.bus import EventBus
from messenger_gateway.gateway.channels import provider_channel, thread_channel
from messenger_gateway.presence.engine import PresenceEngine
from messenger_gateway.presence.state import StatusChange
from messenger_gateway.presence.status import verbose
from messenger_gateway.storage.audience import status_audience
from messenger_gateway.storage.database import Database

EVENT = "online.status"
log = logging.getLogger("messenger.presence")


class StatusBroadcaster:
    def __init__(self, db: Database, bus: EventBus, engine: PresenceEngine, max_queue: int = 100_000) -> None:
        self._db = db
        self._bus = bus
        self._engine = engine
        self._queue: asyncio.Queue[StatusChange | None] = asyncio.Queue(max_queue)
        self._worker: asyncio.Task[None] | None = None

    def payload(self, change: StatusChange) -> dict[str, Any]:
        return {
            "provider_id": change.provider_id,
            "provider_alias": change.alias,
            "online_status": change.after,
            "online_status_verbose": verbose(change.after),
            "last_active": iso(self._engine.last_active(change.provider_id)),
        }

    async def __call__(self, change: StatusChange) -> None:
        try:
            self._queue.put_nowait(change)
        except asyncio.QueueFull:
            log.error("status push queue is full; dropped the change of %s", change.provider_id)

    async def push(self, change: StatusChange) -> None:
        async with self._db.session() as session:
            audience = await status_audience(session, change.provider_id)
        targets = [provider_channel(alias, pid) for alias, pid in audience.providers]
        targets += [thread_channel(t) for t in audience.group_threads]
        if targets:
            await self._bus.publish(targets, EVENT, self.payload(change))

    async def _work(self) -> None:
        while (change := await self._queue.get()) is not None:
            try:
                await self.push(change)
            except Exception:
                log.exception("could not push the status change of %s", change.provider_id)
            finally:
                self._queue.task_done()

    async def drained(self) -> None:
        """Wait until every queued change has been pushed."""
        await self._queue.join()

    def start(self) -> None:
        if self._worker is None:
            self._worker = asyncio.create_task(self._work(), name="status-broadcaster")

    async def stop(self) -> None:
        """Push what is queued, then stop."""
        if self._worker is None:
            return
        await self._queue.put(None)
        done, _ = await asyncio.wait([self._worker], timeout=10)
        if not done:
            self._worker.cancel()
        self._worker = None
