"""What this node could not send to the other nodes while Redis was away, sent in order once it is back.

A send that fails (Redis unreachable) is held here instead of turning a stored write into an error; every later
send queues behind it, so the other nodes receive in the order this node published. One task probes Redis with
backoff (up to once a second). Pub/sub keeps nothing for a listener that is not subscribed yet, so once Redis
answers the task waits until the channel has as many listeners as it had before the outage (every node's
listener resubscribes within about a second), for at most `settle_seconds` (a node that died meanwhile never comes
back), then sends what is held, oldest first. The outbox holds at most `capacity` sends: past that the oldest are
dropped, counted, and logged once per outage (clients that missed them catch up over REST).
"""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Awaitable, Callable, Generic, TypeVar

from messenger_gateway.core.outages import describe, is_outage

log = logging.getLogger("messenger.gateway")
Item = TypeVar("Item")


class Outbox(Generic[Item]):
    def __init__(
        self, name: str, send: Callable[[Item], Awaitable[int]], listeners: Callable[[], Awaitable[int]], *,
        capacity: int, settle_seconds: float = 10.0, first_retry_seconds: float = 0.25, max_retry_seconds: float = 1.0,
    ) -> None:
        """`send` publishes one item and returns how many listeners received it; `listeners` counts the
        listeners subscribed now."""
        self.name = name
        self._send = send
        self._listeners = listeners
        self._expected_listeners = 0  # how many the last successful send reached
        self.capacity = capacity
        self.settle_seconds = settle_seconds
        self._first_retry = first_retry_seconds
        self._max_retry = max_retry_seconds
        self._held: deque[Item] = deque()
        self._task: asyncio.Task[None] | None = None
        self._warned_full = False
        # for /metrics
        self.dropped = 0
        self.sent_late = 0

    @property
    def holding(self) -> bool:
        """True while sends wait here: a new send must queue behind them to keep the order."""
        return bool(self._held)

    def __len__(self) -> int:
        return len(self._held)

    async def send(self, item: Item) -> bool:
        """Send now, or hold the item when Redis is away (or earlier sends still wait). True when it was sent."""
        if not self._held:
            try:
                self._expected_listeners = await self._send(item)
                return True
            except Exception as exc:
                if not is_outage(exc):
                    raise
                log.warning("%s: Redis is unreachable (%s); holding what the other nodes should receive",
                            self.name, describe(exc))
        self.hold(item)
        return False

    def hold(self, item: Item) -> None:
        if len(self._held) >= self.capacity:
            self._held.popleft()
            self.dropped += 1
            if not self._warned_full:
                self._warned_full = True
                log.error("%s: %d sends held while Redis is away; dropping the oldest from now on", self.name,
                          self.capacity)
        self._held.append(item)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name=f"{self.name} outbox")

    async def count_listeners(self) -> None:
        """Note how many listeners the channel has while all is well (run every few seconds): the number to wait
        for after an outage, even when this node sent nothing lately."""
        if not self._held:
            self._expected_listeners = await self._listeners()

    async def _drain(self) -> None:
        delay = self._first_retry
        sent = 0
        while self._held:
            await asyncio.sleep(delay)
            delay = min(delay * 2, self._max_retry)
            try:
                await self._wait_for_listeners()
            except Exception as exc:
                if not is_outage(exc):
                    log.exception("%s: probing Redis failed", self.name)
                continue
            sent += await self._send_held()
            delay = self._first_retry  # away again right after it answered: try again soon
        log.info("%s: Redis is back; sent the %d held sends (%d dropped)", self.name, sent, self.dropped)
        self._warned_full = False

    async def _wait_for_listeners(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settle_seconds
        while await self._listeners() < self._expected_listeners and loop.time() < deadline:
            await asyncio.sleep(0.1)

    async def _send_held(self) -> int:
        sent = 0
        while self._held:
            try:
                await self._send(self._held[0])
            except Exception as exc:
                if is_outage(exc):
                    return sent  # away again: keep it, probe again
                log.exception("%s: a held send failed; dropping it", self.name)
                self.dropped += 1
            else:
                sent += 1
                self.sent_late += 1
            self._held.popleft()
        return sent

    async def stop(self, timeout: float = 5.0) -> None:
        """At shutdown: one last try to send what is held (a node going away takes no events with it if it can)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.wait([task], timeout=timeout)
        if self._held:
            try:
                await asyncio.wait_for(self._send_held(), timeout)
            except Exception as exc:
                log.warning("%s: %d held sends lost at shutdown (%s)", self.name, len(self._held), describe(exc))
