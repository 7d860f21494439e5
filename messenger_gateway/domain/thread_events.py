"""Publishing a thread's events: to every participant who has not muted it (the sender included unless
excluded), and, when the change affects the heartbeat counters, forgetting every participant's counters."""
from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from messenger_gateway.core.services import Services
from messenger_gateway.storage.models import Thread
from messenger_gateway.storage.thread_audience import ThreadAudience


async def notify_thread(
    svc: Services, session: AsyncSession, thread: Thread, event: str, data: Any,
    exclude: str | None = None, counts_changed: bool = False, members: ThreadAudience | None = None,
) -> None:
    """`members` may be passed when the caller already read them (inside its own transaction)."""
    if members is None:
        members = await svc.audiences.members(session, thread)
    if counts_changed:
        await svc.counters.changed(i for _, i, _ in members)
    await svc.bus.publish_to_providers([(a, i) for a, i, muted in members if not muted and i != exclude], event, data)
