"""Friend status between one viewer and many providers, in three bounded queries."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.storage.models import Friend, PendingFriend

NOT_FRIEND, FRIEND, SENT_FRIEND_REQUEST, PENDING_FRIEND_REQUEST = 0, 1, 2, 3
FRIEND_STATUS_VERBOSE = {
    NOT_FRIEND: "NOT_FRIEND",
    FRIEND: "FRIEND",
    SENT_FRIEND_REQUEST: "SENT_FRIEND_REQUEST",
    PENDING_FRIEND_REQUEST: "PENDING_FRIEND_REQUEST",
}


@dataclass(frozen=True)
class FriendLink:
    status: int
    record_id: str | None = None


async def friend_links(session: AsyncSession, viewer_id: str, target_ids: list[str]) -> dict[str, FriendLink]:
    """For each target: FRIEND (friend row id), SENT (my request's id), PENDING (their request's id) or NOT."""
    targets = [t for t in set(target_ids) if t != viewer_id]
    links = {t: FriendLink(NOT_FRIEND) for t in target_ids}
    if not targets:
        return links
    friends = await session.execute(
        select(Friend.party_id, Friend.id).where(Friend.owner_id == viewer_id, Friend.party_id.in_(targets))
    )
    sent = await session.execute(
        select(PendingFriend.recipient_id, PendingFriend.id).where(
            PendingFriend.sender_id == viewer_id, PendingFriend.recipient_id.in_(targets)
        )
    )
    pending = await session.execute(
        select(PendingFriend.sender_id, PendingFriend.id).where(
            PendingFriend.recipient_id == viewer_id, PendingFriend.sender_id.in_(targets)
        )
    )
    for target, record in pending:
        links[target] = FriendLink(PENDING_FRIEND_REQUEST, record)
    for target, record in sent:
        links[target] = FriendLink(SENT_FRIEND_REQUEST, record)
    for target, record in friends:
        links[target] = FriendLink(FRIEND, record)
    return links
