"""Losing access to a thread reaches open sockets: the presence channel is left on every node (cross-node control),
whichever way each socket authenticated."""
from __future__ import annotations

import logging

from messenger_gateway.core.outages import describe
from messenger_gateway.core.services import Services
from messenger_gateway.gateway.channels import thread_channel
from messenger_gateway.gateway.control_messages import Evict

log = logging.getLogger("messenger")


async def evict_from_thread(svc: Services, thread_id: str, provider_ids: list[str] | None) -> None:
    """Take these providers' sockets (None: everyone's) off the thread's presence channel. Called after the change
    was committed, so a failure here is logged, never turned into an error answer for a stored write."""
    channel = thread_channel(thread_id)
    for provider_id in provider_ids if provider_ids is not None else [None]:
        try:
            await svc.control.publish(Evict(channel, provider_id))
        except Exception as exc:
            log.warning("could not evict %s from %s: %s", provider_id or "everyone", channel, describe(exc))
