"""Per-thread ordering of commit and push on this node, so a thread's messages are pushed in commit order.

Two sends to one thread queue on the thread's row lock (PostgreSQL) or the one connection (SQLite); without
this, the first could still be pushed after the second, since its commit returns while the second's proceeds.
Whoever holds a thread's lock here already holds (or has just released) the database's, so this never waits on
a transaction that waits on it."""
from __future__ import annotations

import asyncio
import weakref


class ThreadPushOrder:
    def __init__(self) -> None:
        # a lock lives while someone holds or waits for it: no bookkeeping for idle threads
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def lock(self, thread_id: str) -> asyncio.Lock:
        lock = self._locks.get(thread_id)
        if lock is None:
            lock = self._locks[thread_id] = asyncio.Lock()
        return lock
