"""Who hears a thread's events, remembered per node and checked against the thread's `audience_version`.

Every message is pushed to each unmuted participant's private channel, so sending one would read the whole
participant list. Instead each thread row carries an `audience_version`, which every flush that adds, removes,
mutes or unmutes a participant replaces with a new random value (`track_audience_changes`, a `before_flush`
hook, so no action can forget it). Reading the thread (which a send does anyway, to check membership) therefore
says whether the remembered list is still the current one, on every node, with no messages between nodes.
"""
from __future__ import annotations

import random
from collections import OrderedDict
from typing import Any

from sqlalchemy import event, inspect, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from messenger_gateway.storage.models import Participant, Thread
from messenger_gateway.storage.threads import members_brief

ThreadAudience = list[tuple[str, str, bool]]  # (alias, id, muted) of each live participant
_AUDIENCE_FIELDS = ("deleted_at", "muted")


def new_audience_version() -> int:
    return random.getrandbits(62) + 1  # never 0, the value rows had before the column existed


class ThreadAudienceCache:
    def __init__(self, max_threads: int = 20_000) -> None:
        self._max = max_threads
        self._entries: OrderedDict[str, tuple[int, ThreadAudience]] = OrderedDict()

    async def members(self, session: AsyncSession, thread: Thread) -> ThreadAudience:
        version = thread.audience_version
        entry = self._entries.get(thread.id)
        if entry is not None and entry[0] == version:
            self._entries.move_to_end(thread.id)
            return entry[1]
        # Read after the version: the list is at least as new as it, so remembering it under it is safe.
        fresh = await members_brief(session, thread.id)
        self._entries[thread.id] = (version, fresh)
        self._entries.move_to_end(thread.id)
        if len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return fresh


def _changed_threads(session: Session) -> set[str]:
    changed = {obj.thread_id for obj in (*session.new, *session.deleted) if isinstance(obj, Participant)}
    for obj in session.dirty:
        if isinstance(obj, Participant):
            attrs = inspect(obj).attrs
            if any(attrs[name].history.has_changes() for name in _AUDIENCE_FIELDS):
                changed.add(obj.thread_id)
    return changed


def _bump_versions(session: Session, _context: Any, _instances: Any) -> None:
    for thread_id in _changed_threads(session):
        version = new_audience_version()
        thread = session.identity_map.get(inspect(Thread).identity_key_from_primary_key((thread_id,)))
        if thread is None:
            thread = next((t for t in session.new if isinstance(t, Thread) and t.id == thread_id), None)
        if thread is not None:
            thread.audience_version = version  # flushed with the rest; the object in memory is current too
        else:
            session.connection().execute(update(Thread).where(Thread.id == thread_id).values(audience_version=version))


def track_audience_changes(session_class: type[Session]) -> None:
    event.listen(session_class, "before_flush", _bump_versions)
