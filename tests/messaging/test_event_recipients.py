"""Each thread event reaches exactly the participants the spec names, on their own private channel."""
from __future__ import annotations

import asyncio

from tests.messaging.helpers import API, group, listen


async def test_thread_events_reach_exactly_their_recipients(api, svc, sockets, clock):
    sender = await api.register("Sender")
    member = await api.register("Member")
    quiet = await api.register("Quiet")
    outsider = await api.register("Outsider")
    g = await group(api, svc, sender, [member, quiet])
    socks = {u.name: await listen(sockets, u) for u in (sender, member, quiet, outsider)}
    assert (await api.post(f"{API}/threads/{g['id']}/mute", quiet.token)).status == 200

    def channel_of(user) -> str:
        return f"private-messenger.user.{user.id}"

    async def only(event: str, *users) -> list:
        """`event` reached each of `users` on their own channel, and nobody else."""
        payloads = []
        for user in users:
            (got,) = await socks[user.name].wait_for(event)
            assert got[0] == channel_of(user)
            payloads.append(got[1])
        await asyncio.sleep(0.2)
        for name, sock in socks.items():
            if name not in {u.name for u in users}:
                assert not sock.received(event), f"{name} got {event}"
            sock.events.clear()
        return payloads

    clock.advance(1)
    sent = (await api.post(f"{API}/threads/{g['id']}/messages", sender.token, json={"message": "hi"})).body
    await only("new.message", sender, member)  # the sender too; not the one who muted, not outsiders
    await api.delete(f"{API}/threads/{g['id']}/messages/{sent['id']}", sender.token)
    await only("message.archived", sender, member)
    await api.post(f"{API}/threads/{g['id']}/knock-knock", sender.token)
    await only("knock.knock", member)  # others only
    clock.advance(1)
    await api.get(f"{API}/threads/{g['id']}/mark-read", member.token)
    await only("thread.read", member)
    member_row = next(p for p in (await api.get(f"{API}/threads/{g['id']}/participants", sender.token)).body["data"]
                      if p["owner_id"] == member.id)
    await api.post(f"{API}/threads/{g['id']}/participants/{member_row['id']}/promote", sender.token)
    await only("promoted.admin", member)
    await api.post(f"{API}/threads/{g['id']}/participants/{member_row['id']}/demote", sender.token)
    await only("demoted.admin", member)
    await api.put(f"{API}/threads/{g['id']}/participants/{member_row['id']}", sender.token, json={
        "send_messages": True, "send_knocks": True, "start_calls": True, "add_participants": True,
        "manage_invites": True})
    await only("permissions.updated", member)
    await api.post(f"{API}/threads/{g['id']}/leave", member.token)
    await only("thread.left", member)
    await api.post(f"{API}/threads/{g['id']}/unmute", quiet.token)
    await api.delete(f"{API}/threads/{g['id']}", sender.token)
    payloads = await only("thread.archived", sender, quiet)  # the member has left
    assert payloads[0] == {"thread_id": g["id"]}


async def test_one_use_invite_admits_one_of_two_racing_joiners(api, svc):
    owner = await api.register()
    g = await group(api, svc, owner, [])
    invite = (await api.post(f"{API}/threads/{g['id']}/invites", owner.token, json={"expires": 0, "uses": 1})).body
    racers = [await api.register() for _ in range(2)]
    replies = await asyncio.gather(*(api.post(f"{API}/join/{invite['code']}", r.token) for r in racers))
    assert sorted(r.status for r in replies) == [201, 403]
    participants = (await api.get(f"{API}/threads/{g['id']}/participants", owner.token)).body
    assert participants["meta"]["total"] == 2
