"""A message reaches exactly the thread's current audience, however its participants changed since the last one.

Each node remembers who hears a thread (storage/thread_audience.py); these tests change the participants between
messages (mute, unmute, add, leave, remove, join by invite), on the node that remembers and on another node, and
check who received each message.
"""
from __future__ import annotations

import asyncio

from messenger_gateway.core.services import SERVICES
from tests.messaging.helpers import API, group
from tests.support.factories import make_friends
from tests.support.http import Api
from tests.support.sockets import Recorder, connect


class Audience:
    """Everyone's socket, subscribed to their private channel; `expect` checks who got the next message."""

    def __init__(self, api_send: Api, sender, thread_id: str) -> None:
        self.api_send = api_send
        self.sender = sender
        self.thread_id = thread_id
        self.sockets: dict[str, Recorder] = {}
        self.sent = 0

    async def listen(self, base_url: str, user) -> None:
        sock = await connect(base_url, user.token)
        await sock.subscribe(f"private-messenger.user.{user.id}")
        self.sockets[user.name] = sock

    async def expect(self, *names: str) -> None:
        self.sent += 1
        text = f"message {self.sent}"
        reply = await self.api_send.post(f"{API}/threads/{self.thread_id}/messages", self.sender.token,
                                         json={"message": text})
        assert reply.status == 201, reply
        for _ in range(50):
            if all(text in self.bodies(name) for name in names):
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # time for a message to reach somebody it should not
        for name, sock in self.sockets.items():
            assert self.bodies(name) == ([text] if name in names else []), f"{name}, after {text!r}"
            sock.events.clear()

    def bodies(self, name: str) -> list[str]:
        """The test's own messages this socket received (system messages such as "added Cat" are not counted)."""
        received = self.sockets[name].received("new.message")
        return [args[1]["body"] for args in received if args[1]["body"].startswith("message ")]


async def member_row(api: Api, thread_id: str, token: str, owner_id: str) -> dict:
    rows = (await api.get(f"{API}/threads/{thread_id}/participants", token)).body["data"]
    return next(row for row in rows if row["owner_id"] == owner_id)


async def change_everything(api: Api, svc, audience: Audience, owner, ann, ben, cat, dan) -> None:
    """Between messages sent by `owner` through `audience`, change the participants every way there is."""
    g = audience.thread_id
    await audience.expect("Owner", "Ann", "Ben")
    assert (await api.post(f"{API}/threads/{g}/mute", ben.token)).status == 200
    await audience.expect("Owner", "Ann")
    assert (await api.post(f"{API}/threads/{g}/unmute", ben.token)).status == 200
    await audience.expect("Owner", "Ann", "Ben")
    await make_friends(svc, owner.id, cat.id)
    added = await api.post(f"{API}/threads/{g}/participants", owner.token,
                           json={"providers": [{"alias": "user", "id": cat.id}]})
    assert added.status == 200, added
    await audience.expect("Owner", "Ann", "Ben", "Cat")
    assert (await api.post(f"{API}/threads/{g}/leave", ann.token)).status == 200
    await audience.expect("Owner", "Ben", "Cat")
    cat_row = await member_row(api, g, owner.token, cat.id)
    assert (await api.delete(f"{API}/threads/{g}/participants/{cat_row['id']}", owner.token)).status == 200
    await audience.expect("Owner", "Ben")
    invite = (await api.post(f"{API}/threads/{g}/invites", owner.token, json={"expires": 0, "uses": 0})).body
    assert (await api.post(f"{API}/join/{invite['code']}", dan.token)).status == 201
    await audience.expect("Owner", "Ben", "Dan")


async def test_each_message_reaches_the_participants_of_the_moment(api, svc, server):
    owner, ann, ben, cat, dan = [await api.register(name) for name in ("Owner", "Ann", "Ben", "Cat", "Dan")]
    g = await group(api, svc, owner, [ann, ben])
    audience = Audience(api, owner, g["id"])
    for user in (owner, ann, ben, cat, dan):
        await audience.listen(str(server.make_url("/")), user)
    await asyncio.sleep(0.15)
    await change_everything(api, svc, audience, owner, ann, ben, cat, dan)


async def test_a_node_sending_follows_changes_made_on_another(two_nodes):
    """Node A sends every message (and remembers the audience); every change is made through node B."""
    node_a, node_b, api_a, api_b = two_nodes
    owner, ann, ben, cat, dan = [await api_b.register(name) for name in ("Owner", "Ann", "Ben", "Cat", "Dan")]
    g = await group(api_b, node_b.app[SERVICES], owner, [ann, ben])
    audience = Audience(api_a, owner, g["id"])
    for i, user in enumerate((owner, ann, ben, cat, dan)):  # sockets on both nodes
        await audience.listen(str((node_a if i % 2 else node_b).make_url("/")), user)
    await asyncio.sleep(0.2)
    await change_everything(api_b, node_b.app[SERVICES], audience, owner, ann, ben, cat, dan)
