"""Participant actions in group threads: add, remove, set permissions, promote, demote."""
from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.core.errors import ApiError, forbidden
from messenger_gateway.core.services import Services
from messenger_gateway.domain import system_messages as sm
from messenger_gateway.domain import thread_rules as rules
from messenger_gateway.domain.access import evict_from_thread
from messenger_gateway.domain.threads import ADMIN_PERMISSIONS, MEMBER_PERMISSIONS, ThreadActions
from messenger_gateway.domain.thread_resources import PERMISSIONS
from messenger_gateway.storage import threads as store
from messenger_gateway.storage.models import Participant, Provider
from messenger_gateway.storage.threads import ThreadView


class ParticipantActions:
    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.threads = ThreadActions(svc)
        self.messages = self.threads.messages

    async def add(
        self, session: AsyncSession, v: ThreadView, me: Provider, wanted: list[tuple[str, str]],
    ) -> tuple[list[Participant], list[dict[str, Any]]]:
        if not rules.can_add_participants(v):
            raise forbidden("Not authorized to add participants.")
        members = await store.thread_members(session, v.thread.id)
        addable, skipped = await self.threads.addable(session, me, wanted, already={p.owner_id for p, _ in members})
        if not addable:
            return [], skipped
        now = self.svc.clock.now()
        rows = [self.threads.new_participant(v.thread.id, p, now) for p in addable]
        session.add_all(rows)
        try:
            await session.flush()
        except IntegrityError:  # someone added (or invited in) one of them at the same moment
            await session.rollback()
            raise ApiError(409, "The participants changed while you were adding. Try again.") from None
        message = await self.messages.add_system(session, v.thread, me, sm.PARTICIPANTS_ADDED,
                                                 sm.names_body([p.name for p in addable]))
        await session.commit()
        await self.svc.bus.publish_to_providers([(p.alias, p.id) for p in addable], "new.thread", {
            "thread": self.threads.shapes.new_thread_stub(v.thread, False), "sender": self.svc.resources.provider(me)})
        await self.messages.publish_new(session, v.thread, message, me)
        return rows, skipped

    def _manage(self, v: ThreadView, target: Participant, message: str) -> None:
        if not v.group or not rules.is_admin(v) or rules.locked(v) or target.owner_id == v.me.owner_id:
            raise forbidden(message)

    async def remove(self, session: AsyncSession, v: ThreadView, me: Provider, target: Participant,
                     owner: Provider) -> None:
        self._manage(v, target, "Not authorized to remove that participant.")
        target.deleted_at = self.svc.clock.now()
        message = await self.messages.add_system(session, v.thread, me, sm.PARTICIPANT_REMOVED, sm.names_body([owner.name]))
        await session.commit()
        await self.svc.counters.changed([owner.id])
        await evict_from_thread(self.svc, v.thread.id, [owner.id])
        await self.svc.bus.publish_to_providers([(owner.alias, owner.id)], "thread.left", {"thread_id": v.thread.id})
        await self.messages.publish_new(session, v.thread, message, me)

    async def update_permissions(self, session: AsyncSession, v: ThreadView, target: Participant,
                                 owner: Provider, clean: dict[str, bool]) -> None:
        self._manage(v, target, "Not authorized to update that participant's permissions.")
        if target.admin:
            raise forbidden("Not authorized to update an administrator's permissions.")
        if all(bool(getattr(target, k)) == clean[k] for k in PERMISSIONS):
            return
        for key in PERMISSIONS:
            setattr(target, key, clean[key])
        target.updated_at = self.svc.clock.now()
        await session.commit()
        await self.svc.bus.publish_to_providers([(owner.alias, owner.id)], "permissions.updated", {"thread_id": v.thread.id})

    async def set_admin(self, session: AsyncSession, v: ThreadView, me: Provider, target: Participant,
                        owner: Provider, promote: bool) -> None:
        self._manage(v, target, "Not authorized to promote that participant." if promote
                     else "Not authorized to demote that participant.")
        if bool(target.admin) == promote:
            raise forbidden("That participant is already an administrator." if promote
                            else "That participant is not an administrator.")
        # promotion grants every permission; demotion returns to a default member's
        for key, value in (ADMIN_PERMISSIONS if promote else MEMBER_PERMISSIONS).items():
            setattr(target, key, value)
        target.updated_at = self.svc.clock.now()
        kind = sm.PROMOTED_ADMIN if promote else sm.DEMOTED_ADMIN
        message = await self.messages.add_system(session, v.thread, me, kind, sm.names_body([owner.name]))
        await session.commit()
        await self.svc.bus.publish_to_providers([(owner.alias, owner.id)], "promoted.admin" if promote else "demoted.admin",
                                       {"thread_id": v.thread.id})
        await self.messages.publish_new(session, v.thread, message, me)
