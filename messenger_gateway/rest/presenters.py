"""Turn loaded rows into resources, fetching the viewer's provider options for all of them at once."""
from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.core.services import Services
from messenger_gateway.domain.calls import options_for
from messenger_gateway.domain.thread_resources import ThreadResources
from messenger_gateway.storage.models import Message, Participant, Provider, Thread
from messenger_gateway.storage.threads import ThreadView


class Presenter:
    def __init__(self, svc: Services, session: AsyncSession, me: Provider) -> None:
        self.svc = svc
        self.session = session
        self.me = me
        self.shapes = ThreadResources(svc.resources, svc.config.messenger)

    async def threads(self, views: list[ThreadView], **loaded: Any) -> list[dict[str, Any]]:
        recipients = [v.recipient for v in views if v.recipient is not None]
        options = await self.svc.options.for_targets(self.session, self.me, recipients)
        return [self.shapes.thread(v, options, **self._active_call(v), **loaded) for v in views]

    async def thread(self, view: ThreadView, **loaded: Any) -> dict[str, Any]:
        return (await self.threads([view], **loaded))[0]

    def _active_call(self, v: ThreadView) -> dict[str, Any]:
        if v.active_call is None:
            return {}
        a = v.active_call
        options = options_for(a.call, a.mine, self.me.id, v.group and bool(v.me.admin))
        return {"active_call": self.svc.resources.call(a.call, a.owner, v.thread, v.recipient, options)}

    def messages(self, rows: list[tuple[Message, Provider]], thread: Thread) -> list[dict[str, Any]]:
        return [self.shapes.message(m, owner, thread) for m, owner in rows]

    async def participants(self, rows: list[tuple[Participant, Provider, str | None]]) -> list[dict[str, Any]]:
        options = await self.svc.options.for_targets(self.session, self.me, [p for _, p, _ in rows])
        return [self.shapes.participant(part, owner, options[owner.id], read) for part, owner, read in rows]
