"""Per-thread ordering of commit and push on this node, so a thread's messages are pushed in commit order.

Two sends to one thread queue on the thread's row lock (PostgreSQL) or the one connection (SQLite); without
this, the first could still be pushed after the second, since its commit returns while the second's proceeds.
Whoever holds a thread's lock here already holds (or has just released) the database's, so this never waits on
a transaction that waits on it. The wait is bounded: a push stuck on a slow bus must not hold every later send of
the thread (and its database row lock) behind it, so past `MAX_WAIT_SECONDS` a send goes on unordered."""
from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import AsyncIterator

MAX_WAIT_SECONDS = 0.5


class ThreadPushOrder:
    def __init__(self, max_wait: float = MAX_WAIT_SECONDS) -> None:
        # a lock lives while someone holds or waits for it: no bookkeeping for idle threads
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self.max_wait = max_wait
        self.gave_up = 0  # sends that went on unordered because the one before them was slow to push

    @contextlib.asynccontextmanager
    async def ordered(self, thread_id: str) -> AsyncIterator[None]:
        lock = self._locks.get(thread_id)
        if lock is None:
            lock = self._locks[thread_id] = asyncio.Lock()
        try:
            await asyncio.wait_for(lock.acquire(), self.max_wait)
        except asyncio.TimeoutError:
            self.gave_up += 1
            yield
            return
        try:
            yield
        finally:
            lock.release()
