"""Call queries: the active calls in a provider's threads, with everything needed to render them."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.counters import my_thread_ids
from storage.models import Call, CallParticipant, Participant, Provider, Thread


@dataclass(frozen=True)
class ActiveCallView:
    call: Call
    thread: Thread
    owner: Provider
    recipient: Provider | None  # the other participant, for private threads
    mine: CallParticipant | None  # my call-participant row, if I ever joined
    my_participant: Participant


async def active_calls_for(session: AsyncSession, provider_id: str) -> list[ActiveCallView]:
    """Every active call in my threads, newest first, in a fixed number of queries."""
    rows = (
        await session.execute(
            select(Call, Thread)
            .join(Thread, Thread.id == Call.thread_id)
            .where(Call.call_ended.is_(None), Call.thread_id.in_(my_thread_ids(provider_id)))
            .order_by(Call.created_at.desc())
        )
    ).all()
    if not rows:
        return []
    call_ids = [c.id for c, _ in rows]
    thread_ids = [t.id for _, t in rows]
    owners = {
        p.id: p
        for p in (await session.execute(select(Provider).where(Provider.id.in_({c.owner_id for c, _ in rows})))).scalars()
    }
    mine = {
        cp.call_id: cp
        for cp in (
            await session.execute(
                select(CallParticipant).where(
                    CallParticipant.call_id.in_(call_ids), CallParticipant.owner_id == provider_id
                )
            )
        ).scalars()
    }
    members = (
        await session.execute(
            select(Participant, Provider)
            .join(Provider, Provider.id == Participant.owner_id)
            .where(Participant.thread_id.in_(thread_ids), Participant.deleted_at.is_(None))
        )
    ).all()
    my_rows: dict[str, Participant] = {}
    others: dict[str, Provider] = {}
    for participant, provider in members:
        if provider.id == provider_id:
            my_rows[participant.thread_id] = participant
        else:
            others.setdefault(participant.thread_id, provider)
    views = []
    for call, thread in rows:
        owner = owners.get(call.owner_id)
        if owner is None or thread.id not in my_rows:
            continue
        recipient = others.get(thread.id) if thread.type == 1 else None
        views.append(ActiveCallView(call, thread, owner, recipient, mine.get(call.id), my_rows[thread.id]))
    return views
