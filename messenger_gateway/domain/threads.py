"""Thread actions: open, start a private chat, create a group, approve, archive, leave, settings, avatar,
mute, mark read and knock. Each checks the rules, writes, commits, then publishes."""
from __future__ import annotations

from typing import Any

import random
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.core.errors import ApiError, forbidden, not_found
from messenger_gateway.core.jsonio import iso
from messenger_gateway.core.services import Services
from messenger_gateway.domain import system_messages as sm
from messenger_gateway.domain import thread_rules as rules
from messenger_gateway.domain.messages import Content, MessageActions, new_message
from messenger_gateway.domain.thread_events import notify_thread
from messenger_gateway.domain.access import evict_from_thread
from messenger_gateway.gateway.channels import thread_channel
from messenger_gateway.domain.thread_resources import ThreadResources
from messenger_gateway.storage import threads as store
from messenger_gateway.storage.accounts import provider_by_id, providers_by_ids
from messenger_gateway.storage.models import Friend, Participant, Provider, Thread, new_id
from messenger_gateway.storage.threads import GROUP, PRIVATE, ThreadView

ADMIN_PERMISSIONS = {"admin": True, "send_messages": True, "send_knocks": True, "start_calls": True,
                     "add_participants": True, "manage_invites": True}
MEMBER_PERMISSIONS = {"admin": False, "send_messages": True, "send_knocks": False, "start_calls": False,
                      "add_participants": False, "manage_invites": False}
DEFAULT_AVATARS = tuple(f"{n}.png" for n in range(1, 6))


async def open_thread(session: AsyncSession, thread_id: str, me: Provider, full: bool = False) -> ThreadView:
    """The thread as I see it: 404 when it does not exist, 403 when I am not in it."""
    found = await store.membership(session, thread_id, me.id)
    if found is None:
        raise not_found("thread")
    thread, mine = found
    if mine is None:
        raise forbidden("Not authorized to view that thread.")
    return await store.view_of(session, thread, mine, full)


async def friend_ids(session: AsyncSession, me_id: str, ids: list[str]) -> set[str]:
    if not ids:
        return set()
    rows = await session.execute(select(Friend.party_id).where(Friend.owner_id == me_id, Friend.party_id.in_(ids)))
    return {r for (r,) in rows}


class ThreadActions:
    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.messages = MessageActions(svc)
        self.shapes = ThreadResources(svc.resources, svc.config.messenger)

    def new_participant(self, thread_id: str, owner: Provider, now: datetime, last_read: datetime | None = None,
                        pending: bool = False, permissions: Mapping[str, bool] | None = None) -> Participant:
        return Participant(thread_id=thread_id, owner_id=owner.id, owner_type=self.svc.providers.owner_type(owner.alias),
                           created_at=now, updated_at=now, last_read=last_read, pending=pending, **(permissions or {}))

    # -- private threads ---------------------------------------------------------------------------
    async def find_recipient(self, session: AsyncSession, me: Provider, alias: str, recipient_id: str) -> Provider:
        recipient = await provider_by_id(session, recipient_id) if recipient_id else None
        if recipient is None or recipient.alias != alias or recipient.id == me.id:
            raise ApiError(404, "Unable to locate the recipient you requested.")
        return recipient

    async def start_private(
        self, session: AsyncSession, me: Provider, recipient: Provider, content: Content, thread_id: str,
    ) -> tuple[Thread, Participant]:
        """Create the thread and its first message (the recipient learns of it through `new.thread`)."""
        mine = self.svc.providers.get(me.alias)
        if mine is None or recipient.alias not in mine.can_message:
            raise forbidden(f"Not authorized to start conversations with {recipient.name}")
        if await store.private_between(session, me.id, recipient.id):
            raise forbidden(f"You already have an existing conversation with {recipient.name}")
        kind = self.svc.providers.get(recipient.alias)
        needs_friendship = bool(kind and kind.friendable)
        pending = needs_friendship and recipient.id not in await friend_ids(session, me.id, [recipient.id])
        now = self.svc.clock.now()
        name = recipient.name
        thread = Thread(id=thread_id, type=PRIVATE, private_pair="|".join(sorted((me.id, recipient.id))),
                        created_at=now, updated_at=now)
        session.add(thread)
        try:
            await session.flush()  # the models have no relationships, so the thread row must exist first
        except IntegrityError:  # another request started this pair's conversation a moment ago: it won
            await session.rollback()
            raise forbidden(f"You already have an existing conversation with {name}") from None
        first = new_message(self.svc, thread, me, content.type, content.body)
        # the first message is the thread's creation (one time for both, so the thread row is written once), and
        # my own message leaves the thread read for me: `unread` false and `unread_count` 0 agree
        first.created_at = first.updated_at = now
        me_row = self.new_participant(thread.id, me, now, last_read=now)
        session.add_all([me_row, self.new_participant(thread.id, recipient, now, pending=pending)])
        session.add(first)
        await session.commit()
        await self.svc.counters.changed([me.id, recipient.id])
        await self.svc.bus.publish_to_providers([(recipient.alias, recipient.id)], "new.thread",
                               {"thread": self.shapes.new_thread_stub(thread, pending), "sender": self.svc.resources.provider(me)})
        return thread, me_row

    async def approve(self, session: AsyncSession, v: ThreadView, me: Provider, approve: bool) -> None:
        if v.group or not rules.awaiting_my_approval(v) or rules.locked(v):
            raise forbidden("Not authorized to approve that conversation.")
        now = self.svc.clock.now()
        if approve:
            v.me.pending = False
            v.me.updated_at = now
        else:
            v.thread.deleted_at = now
        await session.commit()
        await self.svc.counters.changed([me.id] + ([v.recipient.id] if v.recipient else []))
        if not approve:  # the conversation is gone for both
            await evict_from_thread(self.svc, v.thread.id, None)
        if v.recipient is not None:
            await self.svc.bus.publish_to_providers([(v.recipient.alias, v.recipient.id)], "thread.approval",
                                   {"thread": {"id": v.thread.id, "approved": approve},
                                    "sender": self.svc.resources.provider(me)})

    # -- groups ------------------------------------------------------------------------------------
    async def create_group(
        self, session: AsyncSession, me: Provider, subject: str, wanted: list[tuple[str, str]],
    ) -> tuple[Thread, Participant, list[dict[str, Any]]]:
        now = self.svc.clock.now()
        # a new group lets its admins add people and invite at once (the columns default to off)
        thread = Thread(id=new_id(), type=GROUP, subject=subject, image=random.choice(DEFAULT_AVATARS),
                        add_participants=True, invitations=True, created_at=now, updated_at=now)
        session.add(thread)
        await session.flush()
        me_row = self.new_participant(thread.id, me, now, permissions=ADMIN_PERMISSIONS)
        session.add(me_row)
        addable, skipped = await self.addable(session, me, wanted, already=set())
        for provider in addable:
            session.add(self.new_participant(thread.id, provider, now))
        last = await self.messages.add_system(session, thread, me, sm.GROUP_CREATED, subject)
        if addable:  # as the package does: "created X", then "added A, B and C to the group"
            added = await self.messages.add_system(session, thread, me, sm.PARTICIPANTS_ADDED,
                                                   sm.names_body([p.name for p in addable]), after=last)
            last = added
        me_row.last_read = last.created_at  # what I did myself is read for me
        await session.commit()
        await self.svc.counters.changed([me.id] + [p.id for p in addable])
        await self.svc.bus.publish_to_providers([(p.alias, p.id) for p in addable], "new.thread",
                               {"thread": self.shapes.new_thread_stub(thread, False), "sender": self.svc.resources.provider(me)})
        return thread, me_row, skipped

    async def addable(
        self, session: AsyncSession, me: Provider, wanted: list[tuple[str, str]], already: set[str],
    ) -> tuple[list[Provider], list[dict[str, Any]]]:
        """Split the requested providers into those I may add (friends, or non-friendable kinds) and the skipped."""
        ids = list(dict.fromkeys(i for _, i in wanted))
        found = await providers_by_ids(session, ids)
        friends = await friend_ids(session, me.id, ids)
        addable: list[Provider] = []
        skipped: list[dict[str, Any]] = []
        seen: set[str] = set()
        for alias, pid in wanted:
            if pid in seen or pid == me.id:
                continue
            seen.add(pid)
            provider = found.get(pid)
            kind = self.svc.providers.get(alias)
            reason = None
            if provider is None or provider.alias != alias or kind is None:
                reason = "not_found"
            elif pid in already:
                reason = "already_participant"
            elif kind.friendable and pid not in friends:
                reason = "not_friend"
            if reason:
                skipped.append({"alias": alias, "id": pid, "reason": reason})
            else:
                addable.append(provider)  # type: ignore[arg-type]
        return addable, skipped

    async def update_settings(self, session: AsyncSession, v: ThreadView, me: Provider, clean: dict[str, Any]) -> None:
        if not rules.is_admin(v) or rules.locked(v):
            raise forbidden("Not authorized to update the group settings.")
        t = v.thread
        renamed = clean["subject"] != t.subject
        old = {k: getattr(t, k) for k in clean if k != "subject"}
        for key, value in clean.items():
            setattr(t, key, value)
        if not renamed and all(old[k] == clean[k] for k in old):
            return
        message = await self.messages.add_system(session, t, me, sm.GROUP_RENAMED, t.subject or "") if renamed else None
        await session.commit()
        await self.svc.bus.publish([thread_channel(t.id)], "thread.settings",
                                   {"sender": self.svc.resources.provider(me), **self.shapes.settings(t)})
        if message is not None:
            await self.messages.publish_new(session, t, message, me)

    async def set_avatar(self, session: AsyncSession, v: ThreadView, me: Provider, image: str) -> str | None:
        """Point the group at a new image; returns the previous uploaded file name to delete."""
        t = v.thread
        previous = t.image
        if previous == image:
            return None
        t.image = image
        message = await self.messages.add_system(session, t, me, sm.AVATAR_CHANGED, "updated the groups avatar")
        await session.commit()
        await self.svc.bus.publish([thread_channel(t.id)], "thread.avatar",
                                   {"sender": self.svc.resources.provider(me), **self.shapes.settings(t)})
        await self.messages.publish_new(session, t, message, me)
        return previous if previous not in DEFAULT_AVATARS else None

    async def leave(self, session: AsyncSession, v: ThreadView, me: Provider) -> None:
        if not v.group:
            raise forbidden("Not authorized to leave that conversation.")
        if v.me.admin:
            members = await store.thread_members(session, v.thread.id)
            others = [p for p, _ in members if p.owner_id != me.id]
            if others and not any(p.admin for p in others):
                raise forbidden("You must promote a new group admin before you may leave.")
        now = self.svc.clock.now()
        v.me.deleted_at = now
        message = await self.messages.add_system(session, v.thread, me, sm.PARTICIPANT_LEFT, "left the group")
        await session.commit()
        await self.svc.counters.changed([me.id])
        await evict_from_thread(self.svc, v.thread.id, [me.id])
        await self.svc.bus.publish_to_providers([(me.alias, me.id)], "thread.left", {"thread_id": v.thread.id})
        await self.messages.publish_new(session, v.thread, message, me)

    async def archive(self, session: AsyncSession, v: ThreadView, me: Provider) -> None:
        self.check_archive(v)
        text = "archived the group" if v.group else "archived the conversation"
        await self.messages.add_system(session, v.thread, me, sm.THREAD_ARCHIVED, text)
        v.thread.deleted_at = self.svc.clock.now()
        await session.commit()
        await notify_thread(self.svc, session, v.thread, "thread.archived", {"thread_id": v.thread.id},
                            counts_changed=True)
        await evict_from_thread(self.svc, v.thread.id, None)

    @staticmethod
    def check_archive(v: ThreadView) -> None:
        """The package's policy: admins of a group, either side of an approved private thread; never during a
        call (it would be orphaned: no call.ended, its participants left on the call channel)."""
        if v.group and not rules.is_admin(v):
            raise forbidden("Not authorized to archive that thread.")
        if not v.group and rules.awaiting_my_approval(v):
            raise forbidden("Not authorized to archive that thread.")
        if v.active_call is not None:
            raise forbidden("Not authorized to archive a thread with an active call.")

    async def set_muted(self, session: AsyncSession, v: ThreadView, muted: bool) -> None:
        if rules.locked(v):
            raise forbidden("Not authorized to mute that thread." if muted else "Not authorized to unmute that thread.")
        if bool(v.me.muted) != muted:
            v.me.muted = muted
            v.me.updated_at = self.svc.clock.now()
            await session.commit()

    async def mark_read(self, session: AsyncSession, v: ThreadView, me: Provider) -> None:
        """Set last_read to now when the thread has anything new for me; sync my other devices."""
        if not rules.unread(v):
            return
        # never before the thread's last change: another node's clock may run a little ahead of ours
        now = max(self.svc.clock.now(), v.thread.updated_at)
        v.me.last_read = now
        await session.commit()
        await self.svc.counters.changed([me.id])
        await self.svc.bus.publish_to_providers([(me.alias, me.id)], "thread.read",
                               {"thread_id": v.thread.id, "last_read": iso(now)})

    async def knock(self, session: AsyncSession, v: ThreadView, me: Provider) -> None:
        if not rules.can_knock(v, self.svc.config.messenger):
            raise forbidden("Not authorized to knock.")
        name = self.svc.resources.thread_name(v.thread, v.recipient)
        timeout = self.svc.config.messenger.knocks.timeout_minutes
        decision = await self.svc.knock_limiter.hit(f"{v.thread.id}:{me.id}") if timeout else None
        if decision is not None and not decision.allowed:
            raise ApiError(429, f"You can't knock at {name} for another {decision.retry_after} seconds.",
                           headers={"Retry-After": str(decision.retry_after)})
        await notify_thread(self.svc, session, v.thread, "knock.knock",
                            {"thread": self.shapes.knock_stub(v.thread), "sender": self.svc.resources.provider(me)},
                            exclude=me.id)
