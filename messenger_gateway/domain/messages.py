"""Message actions: send (text, image, document, system), archive, edit. Write, commit, then publish."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.core.errors import forbidden
from messenger_gateway.core.services import Services
from messenger_gateway.domain import thread_rules as rules
from messenger_gateway.domain.system_messages import MESSAGE, is_system
from messenger_gateway.domain.thread_events import notify_thread
from messenger_gateway.gateway.channels import thread_channel
from messenger_gateway.domain.thread_resources import ThreadResources
from messenger_gateway.storage import messages as message_store
from messenger_gateway.storage.models import Message, MessageEdit, Provider, Thread, new_id
from messenger_gateway.storage.threads import ThreadView


@dataclass(frozen=True)
class Content:
    type: int
    body: str
    temporary_id: str | None = None


def new_message(svc: Services, thread: Thread, owner: Provider, message_type: int, body: str) -> Message:
    now = svc.clock.now()
    return Message(id=new_id(), thread_id=thread.id, owner_id=owner.id, owner_type=svc.providers.owner_type(owner.alias),
                   type=message_type, body=body, edited=False, created_at=now, updated_at=now, deleted_at=None)


class MessageActions:
    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.shapes = ThreadResources(svc.resources, svc.config.messenger)

    async def send(self, session: AsyncSession, v: ThreadView, me: Provider, content: Content) -> dict[str, Any]:
        """Store and push a message; returns its resource (as pushed, with `temporary_id`)."""
        if not rules.can_message(v):
            raise forbidden("Not authorized to send messages.")
        # The audience first (usually remembered; else read in the same transaction, before the writes, so the
        # thread's row lock is held for as short a time as possible). My own message does not make the thread
        # unread for me.
        members = await self.svc.audiences.members(session, v.thread)
        message = new_message(self.svc, v.thread, me, content.type, content.body)
        await message_store.record_sent(session, message, v.thread, v.me)
        async with self.svc.push_order.ordered(v.thread.id):  # pushed in the order committed (= the order lists show)
            await session.commit()
            payload = self.shapes.message(message, me, v.thread, content.temporary_id)
            await notify_thread(self.svc, session, v.thread, "new.message", payload, counts_changed=True,
                                members=members)
        return payload

    async def add_system(self, session: AsyncSession, thread: Thread, actor: Provider, message_type: int,
                         body: str, after: Message | None = None) -> Message:
        """Stage a system message (the caller commits, then calls publish_new); `after` keeps it listed after that
        message even when the clock has not moved between the two."""
        message = new_message(self.svc, thread, actor, message_type, body)
        if after is not None and message.created_at <= after.created_at:
            message.created_at = message.updated_at = after.created_at + timedelta(microseconds=1)
        session.add(message)
        thread.updated_at = message.created_at
        return message

    async def publish_new(self, session: AsyncSession, thread: Thread, message: Message, owner: Provider,
                          temporary_id: str | None = None) -> None:
        """`new.message` to the thread; a new message changes everyone's unread counters."""
        await notify_thread(self.svc, session, thread, "new.message",
                            self.shapes.message(message, owner, thread, temporary_id), counts_changed=True)

    async def archive(self, session: AsyncSession, v: ThreadView, message: Message) -> None:
        if is_system(message.type):
            raise forbidden("Not authorized to remove that message.")
        if message.owner_id != v.me.owner_id and not rules.is_admin(v):
            raise forbidden("Not authorized to remove that message.")
        if rules.locked(v):
            raise forbidden("Not authorized to remove that message.")
        message.deleted_at = self.svc.clock.now()
        await session.commit()
        await notify_thread(self.svc, session, v.thread, "message.archived",
                            {"message_id": message.id, "thread_id": v.thread.id})

    async def edit(self, session: AsyncSession, v: ThreadView, message: Message, owner: Provider, body: str) -> Message:
        if not self.svc.config.messenger.message_edits:
            raise forbidden("Editing messages is currently disabled.")
        if message.type != MESSAGE or message.owner_id != v.me.owner_id or not rules.can_message(v):
            raise forbidden("Not authorized to edit that message.")
        if body != message.body:
            now = self.svc.clock.now()
            session.add(MessageEdit(message_id=message.id, body=message.body, edited_at=now))
            message.body = body
            message.edited = True
            message.updated_at = now
            await session.commit()
            await self.svc.bus.publish([thread_channel(v.thread.id)], "message.edited",
                                       self.shapes.message(message, owner, v.thread))
        return message

