"""Participant queries: the list of a thread (oldest first) and one participant, each with its provider and
the id of the last message it has read, in one statement."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import aliased
from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.storage.models import Message, Participant, Provider


def participant_list(thread_id: str) -> Select[Any]:
    read = aliased(Message)
    last_read_message = (
        select(read.id)
        .where(read.thread_id == Participant.thread_id, read.deleted_at.is_(None),
               read.created_at <= Participant.last_read)
        .order_by(read.created_at.desc(), read.id.desc())
        .limit(1)
        .correlate(Participant)
        .scalar_subquery()
    )
    return (
        select(Participant, Provider, last_read_message.label("last_read_message"))
        .join(Provider, Provider.id == Participant.owner_id)
        .where(Participant.thread_id == thread_id, Participant.deleted_at.is_(None))
    )


async def participant_in_thread(
    session: AsyncSession, thread_id: str, participant_id: str,
) -> tuple[Participant, Provider, str | None] | None:
    row = (await session.execute(participant_list(thread_id).where(Participant.id == participant_id))).first()
    return (row[0], row[1], row[2]) if row else None
