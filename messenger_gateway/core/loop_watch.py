"""How long the event loop was kept from running: a ticker every `interval` seconds notes how late it woke up.

A late tick is a stall every socket and request felt at once (a long garbage collection, a slow synchronous call).
The worst one and how many passed `threshold` are in /metrics, so a pause target can be checked in production and
in the benchmarks alike. It costs one timer wake-up every `interval` (20 a second)."""
from __future__ import annotations

import asyncio
import time
from collections import deque

WINDOW_SECONDS = 60  # the recent worst covers this long, in one-second buckets


class LoopWatch:
    def __init__(self, interval: float = 0.05, threshold: float = 0.02) -> None:
        self.interval, self.threshold = interval, threshold
        self.worst = 0.0  # seconds, the latest wake-up since start
        self.stalls = 0  # wake-ups later than `threshold`
        self._buckets: deque[list[float]] = deque(maxlen=WINDOW_SECONDS)  # [second, worst in it]
        self._task: asyncio.Task[None] | None = None

    @property
    def recent_worst(self) -> float:
        """The latest wake-up in the last minute (what a scrape every minute or so wants)."""
        since = int(time.monotonic()) - WINDOW_SECONDS
        return max((late for second, late in self._buckets if second > since), default=0.0)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._tick(), name="event loop watch")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _tick(self) -> None:
        clock = time.monotonic
        while True:
            due = clock() + self.interval
            await asyncio.sleep(self.interval)
            now = clock()
            late = now - due
            if late > self.worst:
                self.worst = late
            second = int(now)
            buckets = self._buckets
            if buckets and buckets[-1][0] == second:
                if late > buckets[-1][1]:
                    buckets[-1][1] = late
            else:
                buckets.append([second, late])
            if late > self.threshold:
                self.stalls += 1
