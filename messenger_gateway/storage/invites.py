"""Invite queries: the valid invites of a thread, one invite by id or code, and the atomic use counter."""
from __future__ import annotations

from typing import Any

from datetime import datetime

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.storage.models import Invite, Provider, Thread


def is_valid(now: datetime) -> ColumnElement[bool]:
    """Not archived, not expired, uses left (the thread's own state is checked by the caller)."""
    return and_(
        Invite.deleted_at.is_(None),
        or_(Invite.expires_at.is_(None), Invite.expires_at > now),
        or_(Invite.max_use == 0, Invite.uses < Invite.max_use),
    )


def valid_invites(thread_id: str, now: datetime) -> Select[Invite, Provider]:
    return (
        select(Invite, Provider).join(Provider, Provider.id == Invite.owner_id)
        .where(Invite.thread_id == thread_id, is_valid(now))
        .order_by(Invite.created_at.desc(), Invite.id.desc())
    )


async def count_valid(session: AsyncSession, thread_id: str, now: datetime) -> int:
    stmt = select(func.count()).select_from(Invite).where(Invite.thread_id == thread_id, is_valid(now))
    return int((await session.execute(stmt)).scalar_one())


async def invite_in_thread(session: AsyncSession, thread_id: str, invite_id: str) -> Invite | None:
    row = await session.execute(
        select(Invite).where(Invite.id == invite_id, Invite.thread_id == thread_id, Invite.deleted_at.is_(None))
    )
    return row.scalar_one_or_none()


async def invite_by_code(session: AsyncSession, code: str) -> tuple[Invite, Thread | None] | None:
    row = (await session.execute(
        select(Invite, Thread).outerjoin(Thread, and_(Thread.id == Invite.thread_id, Thread.deleted_at.is_(None)))
        .where(Invite.code == code, Invite.deleted_at.is_(None))
    )).first()
    return (row[0], row[1]) if row else None


async def use_once(session: AsyncSession, invite_id: str, now: datetime) -> bool:
    """Count one use if the invite is still valid; False when it ran out meanwhile (safe under concurrency)."""
    result = await session.execute(
        update(Invite).where(Invite.id == invite_id, is_valid(now))
        .values(uses=Invite.uses + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
