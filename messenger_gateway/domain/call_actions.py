"""Call actions: start, join, heartbeat, leave, end, ignore, kick. Write, commit, then publish (spec section 6).

Video rooms are out of scope: a call is signalling and presence only, so `setup_complete` is true at once.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.core.errors import forbidden
from messenger_gateway.core.jsonio import iso
from messenger_gateway.core.services import Services
from messenger_gateway.domain import system_messages as sm
from messenger_gateway.domain import thread_rules as rules
from messenger_gateway.domain.messages import MessageActions
from messenger_gateway.domain.thread_events import notify_thread
from messenger_gateway.gateway.channels import call_channel
from messenger_gateway.domain.resources import CALL_TYPES
from messenger_gateway.gateway.control_messages import Evict
from messenger_gateway.storage import calls as store
from messenger_gateway.storage.accounts import provider_by_id
from messenger_gateway.storage.models import Call, CallParticipant, Provider, Thread
from messenger_gateway.storage.threads import ThreadView


def in_call(row: CallParticipant | None, call: Call) -> bool:
    return row is not None and call.call_ended is None and row.left_call is None and not row.kicked


class CallActions:
    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.messages = MessageActions(svc)

    # -- payloads --------------------------------------------------------------------------------------
    @staticmethod
    def call_event(call: Call, thread: Thread) -> dict[str, Any]:
        return {"id": call.id, "type": call.type, "type_verbose": CALL_TYPES.get(call.type, "VIDEO"),
                "thread_id": call.thread_id, "thread_type": thread.type,
                "created_at": iso(call.created_at), "updated_at": iso(call.updated_at)}

    def incoming_event(self, call: Call, thread: Thread, caller: Provider) -> dict[str, Any]:
        data = self.call_event(call, thread)
        if thread.type == 2:
            avatars = self.svc.resources.thread_avatars(thread, None)
            data.update({"thread_name": thread.subject or "", "api_thread_avatar": avatars["api_avatar"],
                         "thread_avatar": avatars["avatar"]})
        return {"call": data, "sender": self.svc.resources.provider(caller)}

    async def _evict(self, call: Call, provider_id: str) -> None:
        """Take the provider's sockets off the call's presence channel, on every node."""
        await self.svc.control.publish(Evict(call_channel(call.id, call.thread_id), provider_id))

    # -- start -----------------------------------------------------------------------------------------
    async def start(self, session: AsyncSession, v: ThreadView, me: Provider) -> tuple[Call, CallParticipant]:
        name = self.svc.resources.thread_name(v.thread, v.recipient)
        if not rules.can_call(v, self.svc.config.messenger):
            raise forbidden("Not authorized to start a call.")
        if v.active_call is not None:
            raise forbidden(f"{name} already has an active call.")
        now = self.svc.clock.now()
        owner_type = self.svc.providers.owner_type(me.alias)
        call = Call(thread_id=v.thread.id, owner_id=me.id, owner_type=owner_type, type=1, setup_complete=True,
                    created_at=now, updated_at=now)
        session.add(call)
        try:
            await session.flush()  # the one-active-call index refuses a second start here
        except IntegrityError:
            await session.rollback()
            raise forbidden(f"{name} already has an active call.") from None
        mine = CallParticipant(call_id=call.id, owner_id=me.id, owner_type=owner_type, created_at=now,
                               updated_at=now, last_heartbeat_at=now)
        session.add(mine)
        await session.commit()
        await notify_thread(self.svc, session, v.thread, "incoming.call", self.incoming_event(call, v.thread, me),
                            exclude=me.id, counts_changed=True)
        return call, mine

    # -- join, heartbeat, leave --------------------------------------------------------------------------
    async def join(self, session: AsyncSession, v: ThreadView, call: Call, me: Provider) -> tuple[CallParticipant, bool]:
        """Join or rejoin; returns the row and whether it was created."""
        mine = await store.my_call_row(session, call.id, me.id)
        if call.call_ended is not None or rules.locked(v) or (mine is not None and mine.kicked):
            raise forbidden("Not authorized to join that call.")
        now = self.svc.clock.now()
        created = mine is None
        if mine is None:
            mine = CallParticipant(call_id=call.id, owner_id=me.id, owner_type=self.svc.providers.owner_type(me.alias),
                                   created_at=now, updated_at=now)
            session.add(mine)
        mine.left_call = None
        mine.last_heartbeat_at = now
        mine.updated_at = now
        await session.commit()
        await self.svc.bus.publish_to_providers([(me.alias, me.id)], "joined.call", self.call_event(call, v.thread))
        return mine, created

    async def heartbeat(self, session: AsyncSession, call: Call, me: Provider) -> None:
        mine = await store.my_call_row(session, call.id, me.id)
        if not in_call(mine, call):
            raise forbidden("Not authorized to be in that session.")
        assert mine is not None
        mine.last_heartbeat_at = self.svc.clock.now()
        await session.commit()

    async def leave(self, session: AsyncSession, thread: Thread, call: Call, me: Provider) -> None:
        mine = await store.my_call_row(session, call.id, me.id)
        if not in_call(mine, call):
            raise forbidden("Not authorized to leave that call.")
        assert mine is not None
        await self.drop(session, thread, call, mine, (me.alias, me.id))

    async def drop(self, session: AsyncSession, thread: Thread, call: Call, row: CallParticipant,
                   who: tuple[str, str]) -> None:
        """Take one participant out of the call (left.call to them); the last one out ends it."""
        row.left_call = self.svc.clock.now()
        row.updated_at = row.left_call
        await session.commit()
        await self.svc.bus.publish_to_providers([who], "left.call", self.call_event(call, thread))
        await self._evict(call, row.owner_id)
        members = await store.call_participants(session, call.id)
        if not any(in_call(cp, call) for cp, _ in members):
            await self.end_call(session, thread, call)

    # -- end, ignore ------------------------------------------------------------------------------------
    async def end(self, session: AsyncSession, v: ThreadView, call: Call, me: Provider) -> None:
        mine = await store.my_call_row(session, call.id, me.id)
        is_admin = call.owner_id == me.id or rules.is_admin(v)
        if call.call_ended is not None or not is_admin or not in_call(mine, call):
            raise forbidden("Not authorized to end that call.")
        await self.end_call(session, v.thread, call)

    async def end_call(self, session: AsyncSession, thread: Thread, call: Call,
                       unanswered: Provider | None = None) -> bool:
        """End an active call: everyone still in it leaves, all in the thread hear `call.ended` (the caller of
        an `unanswered` call hears `call.unanswered` first), and a `was in a video call` message records who
        took part. Returns False when another request or node ended it first."""
        now = self.svc.clock.now()
        if not await store.claim_end(session, call.id, now):
            return False
        await session.refresh(call)
        members = await store.call_participants(session, call.id)
        for row, _ in members:
            if row.left_call is None:
                row.left_call = now
        owner = await provider_by_id(session, call.owner_id)
        names = [p.name for cp, p in members if p.id != call.owner_id and not cp.kicked]
        message = None
        if owner is not None:
            message = await self.messages.add_system(session, thread, owner, sm.VIDEO_CALL,
                                                     sm.names_body(names, call_id=call.id))
        await session.commit()
        if unanswered is not None:
            await self.svc.bus.publish_to_providers([(unanswered.alias, unanswered.id)], "call.unanswered", self.call_event(call, thread))
        await notify_thread(self.svc, session, thread, "call.ended", self.call_event(call, thread),
                            counts_changed=True)
        for row, _ in members:
            await self._evict(call, row.owner_id)
        if message is not None and owner is not None:
            await self.messages.publish_new(session, thread, message, owner)
        return True

    async def ignore(self, session: AsyncSession, v: ThreadView, call: Call, me: Provider) -> None:
        mine = await store.my_call_row(session, call.id, me.id)
        if call.call_ended is not None or mine is not None:
            raise forbidden("Not authorized to ignore that call.")
        await self.svc.bus.publish_to_providers([(me.alias, me.id)], "call.ignored", self.call_event(call, v.thread))
        if not v.group:
            await self.end_call(session, v.thread, call)

    # -- kick ---------------------------------------------------------------------------------------------
    async def set_kicked(self, session: AsyncSession, v: ThreadView, call: Call, me: Provider,
                         target: CallParticipant, owner: Provider, kicked: bool) -> None:
        mine = await store.my_call_row(session, call.id, me.id)
        is_admin = call.owner_id == me.id or rules.is_admin(v)
        if not v.group or call.call_ended is not None or not is_admin or not in_call(mine, call) \
                or target.owner_id == me.id:
            raise forbidden("Not authorized to kick that participant." if kicked
                            else "Not authorized to un-kick that participant.")
        if bool(target.kicked) == kicked:
            return
        now = self.svc.clock.now()
        target.kicked = kicked
        if kicked and target.left_call is None:
            target.left_call = now
        target.updated_at = now
        await session.commit()
        await self.svc.bus.publish_to_providers([(owner.alias, owner.id)], "call.kicked", {"thread_id": v.thread.id, "call_id": call.id, "kicked": kicked})
        if kicked:
            await self._evict(call, target.owner_id)

