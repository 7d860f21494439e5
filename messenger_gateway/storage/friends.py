"""Friend rows (one per direction) and friend requests, with their other party loaded in the same query."""
from __future__ import annotations

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.storage.models import Friend, PendingFriend, Provider


async def friends_of(session: AsyncSession, owner_id: str) -> list[tuple[Friend, Provider]]:
    rows = await session.execute(
        select(Friend, Provider).join(Provider, Provider.id == Friend.party_id)
        .where(Friend.owner_id == owner_id).order_by(Friend.created_at.desc())
    )
    return [(f, p) for f, p in rows]


async def friend_row(session: AsyncSession, friend_id: str) -> tuple[Friend, Provider] | None:
    """A friend row, whoever owns it, with its party."""
    row = (await session.execute(
        select(Friend, Provider).join(Provider, Provider.id == Friend.party_id).where(Friend.id == friend_id)
    )).first()
    return (row[0], row[1]) if row else None


async def requests(session: AsyncSession, owner_id: str, sent: bool) -> list[tuple[PendingFriend, Provider]]:
    """Requests I sent (with their recipients) or requests sent to me (with their senders)."""
    mine, other = (PendingFriend.sender_id, PendingFriend.recipient_id) if sent else (
        PendingFriend.recipient_id, PendingFriend.sender_id)
    rows = await session.execute(
        select(PendingFriend, Provider).join(Provider, Provider.id == other)
        .where(mine == owner_id).order_by(PendingFriend.created_at.desc())
    )
    return [(r, p) for r, p in rows]


async def request_of(session: AsyncSession, owner_id: str, request_id: str, sent: bool) -> tuple[PendingFriend, Provider] | None:
    mine, other = (PendingFriend.sender_id, PendingFriend.recipient_id) if sent else (
        PendingFriend.recipient_id, PendingFriend.sender_id)
    row = (await session.execute(
        select(PendingFriend, Provider).join(Provider, Provider.id == other)
        .where(PendingFriend.id == request_id, mine == owner_id)
    )).first()
    return (row[0], row[1]) if row else None


async def link_exists(session: AsyncSession, a: str, b: str) -> bool:
    """Already friends, or a request in either direction."""
    friend = await session.execute(select(Friend.id).where(Friend.owner_id == a, Friend.party_id == b))
    if friend.first():
        return True
    pending = await session.execute(select(PendingFriend.id).where(or_(
        and_(PendingFriend.sender_id == a, PendingFriend.recipient_id == b),
        and_(PendingFriend.sender_id == b, PendingFriend.recipient_id == a),
    )))
    return pending.first() is not None


async def remove_both_directions(session: AsyncSession, a: str, b: str) -> Friend | None:
    """Delete a<->b friend rows; return b's row (the one the other side held)."""
    theirs = (await session.execute(select(Friend).where(Friend.owner_id == b, Friend.party_id == a))).scalar_one_or_none()
    await session.execute(delete(Friend).where(or_(
        and_(Friend.owner_id == a, Friend.party_id == b), and_(Friend.owner_id == b, Friend.party_id == a))))
    return theirs


async def claim_request(session: AsyncSession, request_id: str) -> bool:
    """Delete a pending request; False when another request (accept, deny or cancel) already took it. The row
    lock makes concurrent claims wait for the first one, so exactly one of them wins."""
    result = await session.execute(delete(PendingFriend).where(PendingFriend.id == request_id))
    return bool(getattr(result, "rowcount", 0))
