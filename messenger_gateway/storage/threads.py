"""Thread queries: one thread as seen by a participant, and lists loaded in a fixed number of queries."""
from __future__ import annotations

from dataclasses import dataclass

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.storage.models import Call, CallParticipant, Message, Participant, Provider, Thread
from messenger_gateway.storage.paging import AnySelect

PRIVATE, GROUP = 1, 2


@dataclass
class ActiveCall:
    call: Call
    owner: Provider
    mine: CallParticipant | None


@dataclass
class ThreadView:
    """A thread with the caller's participant row and what its resource shows."""

    thread: Thread
    me: Participant
    recipient: Provider | None = None  # the other side of a private thread (None once they are gone)
    recipient_row: Participant | None = None
    latest: tuple[Message, Provider] | None = None
    unread_count: int = 0
    active_call: ActiveCall | None = None

    @property
    def group(self) -> bool:
        return self.thread.type == GROUP


def live_participant(thread_id_col: Any, owner_id: str) -> ColumnElement[bool]:
    return and_(Participant.thread_id == thread_id_col, Participant.owner_id == owner_id, Participant.deleted_at.is_(None))


# Built once: these run on every message sent, and building the expression costs more than running it.
_MEMBERSHIP = (
    select(Thread, Participant)
    .outerjoin(Participant, and_(Participant.thread_id == Thread.id, Participant.owner_id == bindparam("me"),
                                 Participant.deleted_at.is_(None)))
    .where(Thread.id == bindparam("thread"), Thread.deleted_at.is_(None))
)
_MEMBERS_BRIEF = (
    select(Provider.alias, Provider.id, Participant.muted).join(Participant, Participant.owner_id == Provider.id)
    .where(Participant.thread_id == bindparam("thread"), Participant.deleted_at.is_(None))
)


async def membership(session: AsyncSession, thread_id: str, me_id: str) -> tuple[Thread, Participant | None] | None:
    """The live thread and my live participant row (None when I am not in it); None when no such thread."""
    row = (await session.execute(_MEMBERSHIP, {"thread": thread_id, "me": me_id})).first()
    return (row[0], row[1]) if row else None


def my_threads(me_id: str, kind: int | None = None) -> Select[Thread, Participant]:
    stmt = (
        select(Thread, Participant)
        .join(Participant, live_participant(Thread.id, me_id))
        .where(Thread.deleted_at.is_(None))
    )
    return stmt.where(Thread.type == kind) if kind else stmt


async def count_of(session: AsyncSession, stmt: AnySelect) -> int:
    return int((await session.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))).scalar_one())


async def private_between(session: AsyncSession, a: str, b: str) -> str | None:
    """The live private thread two providers share, if any."""
    mine = select(Participant.thread_id).where(Participant.owner_id == a, Participant.deleted_at.is_(None))
    row = (await session.execute(
        select(Thread.id).join(Participant, Participant.thread_id == Thread.id)
        .where(Thread.type == PRIVATE, Thread.deleted_at.is_(None), Thread.id.in_(mine),
               Participant.owner_id == b, Participant.deleted_at.is_(None))
        .limit(1)
    )).first()
    return row[0] if row else None


async def load_views(
    session: AsyncSession, me_id: str, rows: list[tuple[Thread, Participant]], full: bool = True,
) -> list[ThreadView]:
    """Build views for many threads with four queries, whatever their number (one when not `full`:
    only what the permission rules need)."""
    views = [ThreadView(thread, me) for thread, me in rows]
    if not views:
        return views
    ids = [v.thread.id for v in views]
    by_id = {v.thread.id: v for v in views}
    private_ids = [v.thread.id for v in views if not v.group]
    if private_ids:
        others = await session.execute(
            select(Participant, Provider).join(Provider, Provider.id == Participant.owner_id)
            .where(Participant.thread_id.in_(private_ids), Participant.owner_id != me_id, Participant.deleted_at.is_(None))
        )
        for participant, provider in others:
            by_id[participant.thread_id].recipient_row = participant
            by_id[participant.thread_id].recipient = provider
    if not full:
        return views
    for message, owner in await latest_messages(session, ids):
        by_id[message.thread_id].latest = (message, owner)
    unread = await session.execute(
        select(Message.thread_id, func.count())
        .join(Participant, live_participant(Message.thread_id, me_id))
        .where(Message.thread_id.in_(ids), Message.deleted_at.is_(None),
               or_(Participant.last_read.is_(None), Message.created_at > Participant.last_read))
        .group_by(Message.thread_id)
    )
    for thread_id, count in unread:
        by_id[thread_id].unread_count = int(count)
    for active in await active_calls(session, ids, me_id):
        by_id[active.call.thread_id].active_call = active
    return views


async def latest_messages(session: AsyncSession, thread_ids: list[str]) -> list[tuple[Message, Provider]]:
    ranked = (
        select(Message.id, func.row_number().over(
            partition_by=Message.thread_id, order_by=(Message.created_at.desc(), Message.id.desc())).label("rank"))
        .where(Message.thread_id.in_(thread_ids), Message.deleted_at.is_(None))
        .subquery()
    )
    rows = await session.execute(
        select(Message, Provider).join(ranked, ranked.c.id == Message.id).join(Provider, Provider.id == Message.owner_id)
        .where(ranked.c.rank == 1)
    )
    return [(m, p) for m, p in rows]


async def active_calls(session: AsyncSession, thread_ids: list[str], me_id: str) -> list[ActiveCall]:
    rows = await session.execute(
        select(Call, Provider, CallParticipant)
        .join(Provider, Provider.id == Call.owner_id)
        .outerjoin(CallParticipant, and_(CallParticipant.call_id == Call.id, CallParticipant.owner_id == me_id))
        .where(Call.thread_id.in_(thread_ids), Call.call_ended.is_(None))
    )
    return [ActiveCall(c, p, cp) for c, p, cp in rows]


async def view_of(session: AsyncSession, thread: Thread, me: Participant, full: bool = True) -> ThreadView:
    return (await load_views(session, me.owner_id, [(thread, me)], full))[0]


async def thread_members(session: AsyncSession, thread_id: str) -> list[tuple[Participant, Provider]]:
    rows = await session.execute(
        select(Participant, Provider).join(Provider, Provider.id == Participant.owner_id)
        .where(Participant.thread_id == thread_id, Participant.deleted_at.is_(None))
        .order_by(Participant.created_at, Participant.id)
    )
    return [(p, o) for p, o in rows]


async def members_brief(session: AsyncSession, thread_id: str) -> list[tuple[str, str, bool]]:
    """(alias, id, muted) of every live participant: who hears the thread's events, and whose counters change."""
    rows = await session.execute(_MEMBERS_BRIEF, {"thread": thread_id})
    return [(a, i, bool(m)) for a, i, m in rows]


async def thread_counts(session: AsyncSession, thread_id: str) -> tuple[int, int, int]:
    """(messages, participants, calls) of a thread, in one statement."""
    row = (await session.execute(select(
        select(func.count()).select_from(Message)
        .where(Message.thread_id == thread_id, Message.deleted_at.is_(None)).scalar_subquery(),
        select(func.count()).select_from(Participant)
        .where(Participant.thread_id == thread_id, Participant.deleted_at.is_(None)).scalar_subquery(),
        select(func.count()).select_from(Call).where(Call.thread_id == thread_id).scalar_subquery(),
    ))).one()
    return int(row[0]), int(row[1]), int(row[2])
