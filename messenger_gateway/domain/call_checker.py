"""The call activity checker: drops participants whose call heartbeat expired, ends calls nobody is in,
and ends calls nobody answered within the ring timeout (telling the caller `call.unanswered`).

It runs every `calling.check_interval_seconds`. With Redis, a short lock lets one node per tick do the work.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from redis.asyncio import Redis

from messenger_gateway.core.config import CallingConfig
from messenger_gateway.core.services import Services
from messenger_gateway.domain.call_actions import CallActions, in_call
from messenger_gateway.storage import calls as store

log = logging.getLogger("messenger.calls")


class CallActivityChecker:
    def __init__(self, svc: Services, config: CallingConfig, redis: Redis | None = None, lock_key: str = "") -> None:
        self.svc = svc
        self.config = config
        self.redis = redis
        self.lock_key = lock_key

    async def _my_turn(self) -> bool:
        if self.redis is None:
            return True
        ttl_ms = max(1, int(self.config.check_interval_seconds * 900))  # expires before the next tick
        return bool(await self.redis.set(self.lock_key, "1", nx=True, px=ttl_ms))

    async def tick(self) -> None:
        if await self._my_turn():
            await self.check()

    async def check(self) -> None:
        now = self.svc.clock.now()
        stale_before = now - timedelta(seconds=self.config.heartbeat_timeout_seconds)
        ring_before = now - timedelta(seconds=self.config.ring_timeout_seconds)
        actions = CallActions(self.svc)
        async with self.svc.db.session() as session:
            calls = await store.active_calls_older_than(session, now)
            members = await store.members_of_calls(session, [c.id for c, _, _ in calls])
            for call, thread, owner in calls:
                rows = members[call.id]
                if call.created_at <= ring_before and all(cp.owner_id == call.owner_id for cp, _ in rows):
                    await actions.end_call(session, thread, call, unanswered=owner)
                    continue
                present = [(cp, p) for cp, p in rows if in_call(cp, call)]
                stale = [(cp, p) for cp, p in present if (cp.last_heartbeat_at or cp.created_at) <= stale_before]
                for row, provider in stale:
                    await session.refresh(call)
                    if call.call_ended is None:
                        await actions.drop(session, thread, call, row, (provider.alias, provider.id))
                if not present and call.call_ended is None:
                    await actions.end_call(session, thread, call)

