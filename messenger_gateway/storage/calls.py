"""Call queries: the active calls in a provider's threads, with everything needed to render them."""
from __future__ import annotations

from typing import Any

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.storage.counters import my_thread_ids
from messenger_gateway.storage.models import Call, CallParticipant, Participant, Provider, Thread


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


def call_history(thread_id: str) -> Select[Call, Provider]:
    return select(Call, Provider).join(Provider, Provider.id == Call.owner_id).where(Call.thread_id == thread_id)


async def call_in_thread(session: AsyncSession, thread_id: str, call_id: str) -> tuple[Call, Provider] | None:
    row = (await session.execute(call_history(thread_id).where(Call.id == call_id))).first()
    return (row[0], row[1]) if row else None


async def my_call_row(session: AsyncSession, call_id: str, owner_id: str) -> CallParticipant | None:
    row = await session.execute(
        select(CallParticipant).where(CallParticipant.call_id == call_id, CallParticipant.owner_id == owner_id)
    )
    return row.scalar_one_or_none()


def call_members(call_id: str) -> Select[CallParticipant, Provider]:
    return (
        select(CallParticipant, Provider).join(Provider, Provider.id == CallParticipant.owner_id)
        .where(CallParticipant.call_id == call_id).order_by(CallParticipant.created_at, CallParticipant.id)
    )


async def call_participants(session: AsyncSession, call_id: str) -> list[tuple[CallParticipant, Provider]]:
    return [(cp, p) for cp, p in await session.execute(call_members(call_id))]


async def members_of_calls(session: AsyncSession, call_ids: list[str]) -> dict[str, list[tuple[CallParticipant, Provider]]]:
    """Every call participant of many calls, grouped by call, in one statement."""
    grouped: dict[str, list[tuple[CallParticipant, Provider]]] = {c: [] for c in call_ids}
    if call_ids:
        rows = await session.execute(
            select(CallParticipant, Provider).join(Provider, Provider.id == CallParticipant.owner_id)
            .where(CallParticipant.call_id.in_(call_ids)).order_by(CallParticipant.created_at, CallParticipant.id)
        )
        for cp, p in rows:
            grouped[cp.call_id].append((cp, p))
    return grouped


async def active_calls_older_than(session: AsyncSession, cutoff: datetime) -> list[tuple[Call, Thread, Provider]]:
    rows = await session.execute(
        select(Call, Thread, Provider).join(Thread, Thread.id == Call.thread_id)
        .join(Provider, Provider.id == Call.owner_id)
        .where(Call.call_ended.is_(None), Call.created_at <= cutoff)
    )
    return [(c, t, p) for c, t, p in rows]


async def my_rows(session: AsyncSession, call_ids: list[str], owner_id: str) -> list[CallParticipant]:
    if not call_ids:
        return []
    rows = await session.execute(
        select(CallParticipant).where(CallParticipant.call_id.in_(call_ids), CallParticipant.owner_id == owner_id)
    )
    return list(rows.scalars())


async def call_participant_in_call(
    session: AsyncSession, call_id: str, participant_id: str,
) -> tuple[CallParticipant, Provider] | None:
    row = (await session.execute(call_members(call_id).where(CallParticipant.id == participant_id))).first()
    return (row[0], row[1]) if row else None


async def claim_end(session: AsyncSession, call_id: str, now: datetime) -> bool:
    """Mark the call ended if it still is active; only one of several racing callers gets True."""
    result = await session.execute(
        update(Call).where(Call.id == call_id, Call.call_ended.is_(None))
        .values(call_ended=now, updated_at=now).execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
