"""Queries behind the messenger channel rules (spec section 5.1)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.storage.models import Call, CallParticipant, Participant, Thread


async def may_join_thread(session: AsyncSession, thread_id: str, provider_id: str) -> bool:
    """A participant of a live thread who is not awaiting their own approval, and the thread is not locked."""
    row = (
        await session.execute(
            select(Participant.pending, Thread.lockout)
            .join(Thread, Thread.id == Participant.thread_id)
            .where(
                Participant.thread_id == thread_id,
                Participant.owner_id == provider_id,
                Participant.deleted_at.is_(None),
                Thread.deleted_at.is_(None),
            )
        )
    ).first()
    return row is not None and not row.pending and not row.lockout


async def may_join_call(session: AsyncSession, call_id: str, thread_id: str, provider_id: str) -> bool:
    """A thread participant who is in the active call now (joined, not left, not kicked)."""
    row = (
        await session.execute(
            select(CallParticipant.kicked, CallParticipant.left_call)
            .join(Call, Call.id == CallParticipant.call_id)
            .join(Participant, (Participant.thread_id == Call.thread_id) & (Participant.owner_id == provider_id))
            .join(Thread, Thread.id == Call.thread_id)
            .where(
                Call.id == call_id,
                Call.thread_id == thread_id,
                Call.call_ended.is_(None),
                CallParticipant.owner_id == provider_id,
                Participant.deleted_at.is_(None),
                Thread.deleted_at.is_(None),
            )
        )
    ).first()
    return row is not None and not row.kicked and row.left_call is None
