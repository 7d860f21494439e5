"""A background job that runs every N seconds until stopped, surviving its own errors."""
from __future__ import annotations

import asyncio
import logging
from typing import Awaitable, Callable

from messenger_gateway.core.outages import describe, is_outage

log = logging.getLogger("messenger")


class PeriodicTask:
    def __init__(self, name: str, interval: float, job: Callable[[], Awaitable[object]], run_first: bool = False) -> None:
        self.name = name
        self.interval = interval
        self._job = job
        self._run_first = run_first
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def _loop(self) -> None:
        if not self._run_first:
            await self._wait()
        failing = False
        while not self._stopping.is_set():
            try:
                await self._job()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # some clients turn a cancellation into their own error: do not keep running then
                if self._stopping.is_set():
                    return
                if not is_outage(exc):
                    log.exception("%s failed; retrying in %ss", self.name, self.interval)
                elif not failing:  # one line per outage, not one per tick
                    log.warning("%s: a dependency is unavailable (%s); retrying every %ss", self.name, describe(exc),
                                self.interval)
                failing = True
            else:
                if failing:
                    log.info("%s works again", self.name)
                failing = False
            await self._wait()

    async def _wait(self) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), self.interval)
        except asyncio.TimeoutError:
            pass

    def start(self) -> None:
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.create_task(self._loop(), name=self.name)

    async def stop(self, timeout: float = 5.0) -> None:
        """Ask the loop to finish; cancel it if it does not within `timeout` seconds."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        done, _ = await asyncio.wait([task], timeout=timeout)
        if not done:
            task.cancel()
            await asyncio.wait([task], timeout=timeout)
