"""Who hears about a provider's status: friends, the other side of private threads, and group threads."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import aliased
from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.storage.models import Friend, Participant, Provider, Thread


@dataclass(frozen=True)
class Audience:
    providers: list[tuple[str, str]]  # (alias, id), each once
    group_threads: list[str]


async def status_audience(session: AsyncSession, provider_id: str) -> Audience:
    friends = await session.execute(
        select(Provider.alias, Provider.id).join(Friend, Friend.party_id == Provider.id).where(Friend.owner_id == provider_id)
    )
    mine, other = aliased(Participant), aliased(Participant)
    private_others = await session.execute(
        select(Provider.alias, Provider.id)
        .select_from(mine)
        .join(Thread, Thread.id == mine.thread_id)
        .join(other, other.thread_id == mine.thread_id)
        .join(Provider, Provider.id == other.owner_id)
        .where(
            mine.owner_id == provider_id, mine.deleted_at.is_(None), Thread.type == 1, Thread.deleted_at.is_(None),
            other.owner_id != provider_id, other.deleted_at.is_(None),
        )
    )
    groups = await session.execute(
        select(Thread.id)
        .join(Participant, Participant.thread_id == Thread.id)
        .where(Participant.owner_id == provider_id, Participant.deleted_at.is_(None), Thread.type == 2,
               Thread.deleted_at.is_(None))
    )
    providers = list(dict.fromkeys([(a, i) for a, i in friends] + [(a, i) for a, i in private_others]))
    return Audience(providers=providers, group_threads=[t for (t,) in groups])
