"""Invite actions: create (with expiry and use limits), archive, and join a group with a code."""
from __future__ import annotations

import secrets
import string
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.core.errors import ApiError, forbidden
from messenger_gateway.core.services import Services
from messenger_gateway.domain import system_messages as sm
from messenger_gateway.domain import thread_rules as rules
from messenger_gateway.domain.threads import ThreadActions
from messenger_gateway.storage import invites as store
from messenger_gateway.storage import threads as thread_store
from messenger_gateway.storage.models import Invite, Participant, Provider, Thread
from messenger_gateway.storage.threads import ThreadView

CODE_ALPHABET = string.ascii_uppercase + string.digits
EXPIRES = {
    0: None, 1: timedelta(minutes=30), 2: timedelta(hours=1), 3: timedelta(hours=6), 4: timedelta(hours=12),
    5: timedelta(days=1), 6: timedelta(weeks=1), 7: timedelta(weeks=2), 8: timedelta(days=30),
}


def invite_usable(invite: Invite, thread: Thread | None, now: datetime) -> bool:
    return (
        thread is not None and thread.type == 2 and bool(thread.invitations) and not thread.lockout
        and invite.deleted_at is None
        and (invite.expires_at is None or invite.expires_at > now)
        and (invite.max_use == 0 or invite.uses < invite.max_use)
    )


class InviteActions:
    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.threads = ThreadActions(svc)

    def check_manage(self, v: ThreadView) -> None:
        if not rules.can_manage_invites(v, self.svc.config.messenger):
            raise forbidden("Not authorized to manage invites.")

    async def create(self, session: AsyncSession, v: ThreadView, me: Provider, expires: int, uses: int) -> Invite:
        self.check_manage(v)
        now = self.svc.clock.now()
        limit = self.svc.config.messenger.invites.max_per_thread
        if limit and await store.count_valid(session, v.thread.id, now) >= limit:
            raise forbidden(f"You have reached the maximum of {limit} invites for this group.")
        delta = EXPIRES[expires]
        for _ in range(5):
            invite = Invite(thread_id=v.thread.id, owner_id=me.id, owner_type=self.svc.providers.owner_type(me.alias),
                            code="".join(secrets.choice(CODE_ALPHABET) for _ in range(8)), max_use=uses, uses=0,
                            expires_at=now + delta if delta else None, created_at=now, updated_at=now)
            session.add(invite)
            try:
                await session.commit()
                return invite
            except IntegrityError:  # a code collision: draw another
                await session.rollback()
        raise ApiError(503, "Could not create an invite code; please try again.")

    async def archive(self, session: AsyncSession, v: ThreadView, invite: Invite) -> None:
        self.check_manage(v)
        invite.deleted_at = self.svc.clock.now()
        await session.commit()

    async def join(self, session: AsyncSession, me: Provider, invite: Invite, thread: Thread | None) -> Participant:
        now = self.svc.clock.now()
        if thread is None or not invite_usable(invite, thread, now):
            raise forbidden("Not authorized to join with that invite.")
        found = await thread_store.membership(session, thread.id, me.id)
        if found is not None and found[1] is not None:
            raise forbidden("You are already in that group.")
        if not await store.use_once(session, invite.id, now):
            raise forbidden("Not authorized to join with that invite.")
        participant = self.threads.new_participant(thread.id, me, now)
        session.add(participant)
        try:
            await session.flush()
        except IntegrityError:  # the same person joined a moment ago in another request: that one won
            await session.rollback()
            raise forbidden("You are already in that group.") from None
        message = await self.threads.messages.add_system(session, thread, me, sm.JOINED_WITH_INVITE, "joined the group")
        await session.commit()
        await self.threads.messages.publish_new(session, thread, message, me)
        return participant
