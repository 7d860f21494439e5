"""Losing access to a thread reaches open sockets at once: a removed member, one who left, and everyone when the
thread is archived are taken off its presence channel (however their socket authenticated) and told so."""
from __future__ import annotations

import asyncio

from tests.messaging.helpers import API, group
from tests.support.sockets import connect


async def test_removed_members_stop_hearing_the_thread_whichever_way_they_authenticated(api, svc, server):
    owner, removed, stays = await api.register("Owner"), await api.register("Removed"), await api.register("Stays")
    g = await group(api, svc, owner, [removed, stays])
    channel = f"presence-messenger.thread.{g['id']}"
    url = str(server.make_url("/"))
    owner_sock = await connect(url, owner.token)
    await owner_sock.subscribe(channel)
    by_connection = await connect(url, removed.token)  # token in the CONNECT packet
    await by_connection.subscribe(channel)
    by_payload = await connect(url)  # laravel-echo-server style: the token only in the subscribe payload
    await by_payload.subscribe(channel, token=removed.token)
    stays_sock = await connect(url, stays.token)
    await stays_sock.subscribe(channel)
    for sock in (by_connection, by_payload, stays_sock):
        await sock.wait_for("presence:subscribed", channel)

    participants = (await api.get(f"{API}/threads/{g['id']}/participants", owner.token)).body["data"]
    row = next(p for p in participants if p["owner_id"] == removed.id)
    assert (await api.delete(f"{API}/threads/{g['id']}/participants/{row['id']}", owner.token)).status == 200
    for sock in (by_connection, by_payload):
        assert (channel, 403) in await sock.wait_for("subscription_error", channel)
    (leaving,) = await owner_sock.wait_for("presence:leaving", channel)
    assert leaving[1]["user_id"] == removed.id

    await owner_sock.whisper(channel, "typing", {"typing": True})
    await stays_sock.wait_for("client-typing", channel)
    for sock in (by_connection, by_payload):
        await sock.nothing("client-typing", channel)
    await by_payload.whisper(channel, "typing", {"from": "removed"})  # cannot whisper into it any more
    await owner_sock.nothing("client-typing", channel)


async def test_leaving_and_archiving_take_sockets_off_the_channel(api, svc, server):
    owner, leaver, member = await api.register(), await api.register(), await api.register()
    g = await group(api, svc, owner, [leaver, member])
    channel = f"presence-messenger.thread.{g['id']}"
    url = str(server.make_url("/"))
    socks = {}
    for user in (owner, leaver, member):
        socks[user.id] = await connect(url, user.token)
        await socks[user.id].subscribe(channel)
        await socks[user.id].wait_for("presence:subscribed", channel)
    assert (await api.post(f"{API}/threads/{g['id']}/leave", leaver.token)).status == 200
    assert (channel, 403) in await socks[leaver.id].wait_for("subscription_error", channel)
    assert (await api.delete(f"{API}/threads/{g['id']}", owner.token)).status == 200  # archive
    for user in (owner, member):
        assert (channel, 403) in await socks[user.id].wait_for("subscription_error", channel)
    await asyncio.sleep(0.2)
    assert not (svc.bus.delivery.sio.manager.rooms.get("/") or {}).get(channel)  # nobody is left in the room
