"""Helpers for the messaging tests: listening sockets, threads created through the API."""
from __future__ import annotations

import asyncio

from tests.support.factories import make_friends

API = "/api/messenger"


async def listen(sockets, user, *channels: str):
    """A socket subscribed to the user's private channel (and any extra channels), ready to receive."""
    sock = await sockets(user.token)
    await sock.subscribe(f"private-messenger.user.{user.id}")
    for channel in channels:
        await sock.subscribe(channel)
    await asyncio.sleep(0.15)
    return sock


async def private_thread(api, sender, recipient, text: str = "Hello!", **extra) -> dict:
    reply = await api.post(f"{API}/privates", sender.token,
                           json={"recipient_alias": "user", "recipient_id": recipient.id, "message": text, **extra})
    assert reply.status == 201, reply
    return reply.body


async def group(api, svc, owner, members, subject: str = "Team chat") -> dict:
    """A group of `owner` and `members` (made friends first, since only friends can be added)."""
    for member in members:
        await make_friends(svc, owner.id, member.id)
    reply = await api.post(f"{API}/groups", owner.token,
                           json={"subject": subject, "providers": [{"alias": "user", "id": m.id} for m in members]})
    assert reply.status == 201, reply
    return reply.body
