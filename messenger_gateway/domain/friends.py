"""Friend actions: send, cancel, accept, deny, remove. Each writes, commits, then publishes its event."""
from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.core.errors import ApiError, forbidden, not_found
from messenger_gateway.core.services import Services
from messenger_gateway.storage import friends as store
from messenger_gateway.storage.accounts import provider_by_id
from messenger_gateway.storage.models import Friend, PendingFriend, Provider


async def my_friend(session: AsyncSession, me: Provider, friend_id: str, refusal: str) -> tuple[Friend, Provider]:
    """One of my friend rows: 404 when there is no such row, 403 when it is someone else's (the package's policy)."""
    found = await store.friend_row(session, friend_id)
    if found is None:
        raise not_found("friend")
    if found[0].owner_id != me.id:
        raise forbidden(refusal)
    return found


class FriendActions:
    def __init__(self, svc: Services) -> None:
        self.svc = svc

    async def send(self, session: AsyncSession, me: Provider, recipient_id: str, alias: str) -> tuple[PendingFriend, Provider]:
        mine = self.svc.providers.get(me.alias)
        recipient = await provider_by_id(session, recipient_id)
        if recipient is None or recipient.alias != alias:
            raise ApiError(404, "Unable to locate the recipient you requested.")
        if recipient.id == me.id or mine is None or recipient.alias not in mine.can_friend:
            raise ApiError(403, f"Not authorized to add {recipient.name} as a friend.")
        if await store.link_exists(session, me.id, recipient.id):
            raise ApiError(403, f"You are already friends, or a request is pending, with {recipient.name}.")
        now = self.svc.clock.now()
        row = PendingFriend(sender_id=me.id, sender_type=self.svc.providers.owner_type(me.alias),
                            recipient_id=recipient.id, recipient_type=self.svc.providers.owner_type(recipient.alias),
                            created_at=now, updated_at=now)
        session.add(row)
        refusal = f"You are already friends, or a request is pending, with {recipient.name}."  # read before a rollback
        try:
            await session.flush()
        except IntegrityError:  # the same request, sent a moment ago from another tab
            await session.rollback()
            raise ApiError(403, refusal) from None
        await session.commit()
        await self.svc.counters.changed([recipient.id])
        await self.svc.bus.publish_to_providers([(recipient.alias, recipient.id)], "friend.request",
                                   self.svc.resources.friend_request_event(row, me))
        return row, recipient

    async def cancel(self, session: AsyncSession, me: Provider, request_id: str) -> Provider:
        row, recipient = await self._claim(session, me, request_id, sent=True)
        await session.commit()
        await self.svc.counters.changed([recipient.id])
        await self.svc.bus.publish_to_providers([(recipient.alias, recipient.id)], "friend.cancelled",
                                   {"pending_friend_id": row.id})
        return recipient

    async def deny(self, session: AsyncSession, me: Provider, request_id: str) -> Provider:
        row, sender = await self._claim(session, me, request_id, sent=False)
        await session.commit()
        await self.svc.counters.changed([me.id])
        await self.svc.bus.publish_to_providers([(sender.alias, sender.id)], "friend.denied", {"sent_friend_id": row.id})
        return sender

    async def accept(self, session: AsyncSession, me: Provider, request_id: str) -> tuple[Friend, Provider]:
        row, sender = await self._claim(session, me, request_id, sent=False)
        now = self.svc.clock.now()
        mine = Friend(owner_id=me.id, owner_type=row.recipient_type, party_id=sender.id, party_type=row.sender_type,
                      created_at=now, updated_at=now)
        theirs = Friend(owner_id=sender.id, owner_type=row.sender_type, party_id=me.id, party_type=row.recipient_type,
                        created_at=now, updated_at=now)
        session.add_all([mine, theirs])
        refusal = f"You are already friends with {sender.name}."  # read before a rollback expires it
        try:
            await session.flush()
        except IntegrityError:  # we became friends a moment ago through the other side's request
            await session.rollback()
            raise ApiError(403, refusal) from None
        await session.commit()
        await self.svc.counters.changed([me.id])
        await self.svc.bus.publish_to_providers([(sender.alias, sender.id)], "friend.approved",
                                   self.svc.resources.friend_approved_event(theirs, me))
        return mine, sender

    async def remove(self, session: AsyncSession, me: Provider, friend_id: str) -> Provider:
        _, party = await my_friend(session, me, friend_id, "Not authorized to remove that friend.")
        theirs = await store.remove_both_directions(session, me.id, party.id)
        await session.commit()
        if theirs is not None:
            await self.svc.bus.publish_to_providers([(party.alias, party.id)], "friend.removed", {"friend_id": theirs.id})
        return party

    @staticmethod
    async def _claim(session: AsyncSession, me: Provider, request_id: str, sent: bool) -> tuple[PendingFriend, Provider]:
        """My request (sent or received), taken off the pending list; 404 when it is gone, also when a concurrent
        accept, deny or cancel took it first."""
        found = await store.request_of(session, me.id, request_id, sent)
        if found is None or not await store.claim_request(session, found[0].id):
            raise not_found("friend request")
        return found
