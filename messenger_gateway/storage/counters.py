"""The three heartbeat counters in one SQL round trip."""
from __future__ import annotations

from typing import Any

from dataclasses import dataclass

from sqlalchemy import Select, distinct, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.storage.models import Call, Participant, PendingFriend, Thread


@dataclass(frozen=True)
class Counters:
    active_calls: int
    unread_threads: int
    pending_friends: int


def my_thread_ids(provider_id: str) -> Select[Any]:
    """Ids of the live threads the provider takes part in."""
    return (
        select(Participant.thread_id)
        .join(Thread, Thread.id == Participant.thread_id)
        .where(Participant.owner_id == provider_id, Participant.deleted_at.is_(None), Thread.deleted_at.is_(None))
    )


def unread_threads_query(provider_id: str) -> Select[Any]:
    return (
        select(func.count())
        .select_from(Participant)
        .join(Thread, Thread.id == Participant.thread_id)
        .where(
            Participant.owner_id == provider_id,
            Participant.deleted_at.is_(None),
            Thread.deleted_at.is_(None),
            or_(Participant.last_read.is_(None), Thread.updated_at > Participant.last_read),
        )
    )


async def counters(session: AsyncSession, provider_id: str, friendable: bool) -> Counters:
    active = select(func.count(distinct(Call.thread_id))).where(
        Call.call_ended.is_(None), Call.thread_id.in_(my_thread_ids(provider_id))
    )
    pending = (
        select(func.count()).select_from(PendingFriend).where(PendingFriend.recipient_id == provider_id)
        if friendable
        else select(literal(0))
    )
    row = (
        await session.execute(
            select(active.scalar_subquery(), unread_threads_query(provider_id).scalar_subquery(), pending.scalar_subquery())
        )
    ).one()
    return Counters(active_calls=int(row[0]), unread_threads=int(row[1]), pending_friends=int(row[2]))

