"""The Echo dialect with real python-socketio clients: channels, authorization, presence, whispers."""
from __future__ import annotations

import asyncio


import pytest

from tests.support.factories import make_call, make_thread
from tests.support.sockets import connect


async def test_public_channel_receives_events_as_channel_and_data(api, sockets, publish, subscribed):
    a = await sockets()
    b = await sockets()
    await a.subscribe("news")
    await subscribed("news")
    await publish("news", "App\\Events\\OrderShipped", {"id": 5})
    got = await a.wait_for("App\\Events\\OrderShipped", "news")
    assert got == [("news", {"id": 5})]
    await b.nothing("App\\Events\\OrderShipped")


async def test_private_provider_channel_is_only_for_its_owner(api, sockets, publish, subscribed):
    me = await api.register()
    other = await api.register()
    mine = f"private-messenger.user.{me.id}"
    sock = await sockets(me.token)
    await sock.subscribe(mine)
    await sock.subscribe(f"private-messenger.user.{other.id}")
    await sock.subscribe(f"private-messenger.bot.{me.id}")
    await sock.wait_for("subscription_error", count=2)
    await subscribed(mine)
    assert sorted(sock.received("subscription_error")) == sorted([
        (f"private-messenger.user.{other.id}", 403), (f"private-messenger.bot.{me.id}", 403)])
    await publish(mine, "new.message", {"body": "hi"})
    assert await sock.wait_for("new.message", mine) == [(mine, {"body": "hi"})]
    # no token at all: 401; a token only in the subscribe payload (Echo's auth.headers) works
    anonymous = await sockets()
    await anonymous.subscribe(mine)
    assert await anonymous.wait_for("subscription_error") == [(mine, 401)]
    late = await sockets()
    await late.subscribe(f"private-messenger.user.{other.id}", token=other.token)
    await subscribed(f"private-messenger.user.{other.id}")
    await publish(f"private-messenger.user.{other.id}", "friend.request", {"x": 1})
    await late.wait_for("friend.request")
    # a bad token at connect time is accepted as an anonymous connection
    bad = await sockets("not-a-token")
    await bad.subscribe(mine)
    assert await bad.wait_for("subscription_error") == [(mine, 401)]
    plain_auth = await sockets(me.token, echo_style=False)
    await plain_auth.subscribe(mine)
    await subscribed(mine, 2)
    await publish(mine, "ping", {})
    await plain_auth.wait_for("ping", mine)


async def test_other_guarded_channels_are_refused_without_auth_host(api, sockets):
    me = await api.register()
    sock = await sockets(me.token)
    await sock.subscribe("private-App.Models.User.1")
    await sock.subscribe("presence-chat.1")
    await sock.wait_for("subscription_error", count=2)
    assert {args[1] for args in sock.received("subscription_error")} == {403}


async def test_thread_presence_channel(api, svc, sockets):
    alice = await api.register("Alice")
    bob = await api.register("Bob")
    carol = await api.register("Carol")
    thread = await make_thread(svc, [alice.id, bob.id])
    channel = f"presence-messenger.thread.{thread}"
    a1 = await sockets(alice.token)
    await a1.subscribe(channel)
    (subscribed,) = await a1.wait_for("presence:subscribed", channel)
    assert subscribed[1] == [{"user_id": alice.id, "user_info": {
        "name": "Alice", "route": None, "provider_id": alice.id, "provider_alias": "user",
        "api_avatar": alice.provider["api_avatar"], "avatar": alice.provider["avatar"]}}]
    b1 = await sockets(bob.token)
    await b1.subscribe(channel)
    (joined,) = await a1.wait_for("presence:joining", channel)
    assert joined[1]["user_id"] == bob.id and joined[1]["user_info"]["name"] == "Bob"
    members = (await b1.wait_for("presence:subscribed", channel))[0][1]
    assert sorted(m["user_id"] for m in members) == sorted([alice.id, bob.id])
    # a second tab of Bob is not a new member, and closing one of two tabs is not a leave
    b2 = await sockets(bob.token)
    await b2.subscribe(channel)
    await b2.wait_for("presence:subscribed", channel)
    await b2.close()
    await a1.nothing("presence:leaving", wait=0.3)
    assert len(a1.received("presence:joining")) == 1
    # the last tab closing is a leave
    await b1.close()
    (left,) = await a1.wait_for("presence:leaving", channel)
    assert left[1]["user_id"] == bob.id
    # non-participants are refused
    c = await sockets(carol.token)
    await c.subscribe(channel)
    assert await c.wait_for("subscription_error") == [(channel, 403)]
    await c.subscribe("presence-messenger.thread.00000000-0000-0000-0000-000000000000")
    await c.wait_for("subscription_error", count=2)


async def test_pending_participant_and_unsubscribe(api, svc, sockets):
    alice = await api.register()
    bob = await api.register()
    thread = await make_thread(svc, [alice.id, bob.id])
    from sqlalchemy import update

    from messenger_gateway.storage.models import Participant

    async with svc.db.session() as session:
        await session.execute(update(Participant).where(Participant.owner_id == bob.id).values(pending=True))
        await session.commit()
    channel = f"presence-messenger.thread.{thread}"
    b = await sockets(bob.token)
    await b.subscribe(channel)
    assert await b.wait_for("subscription_error") == [(channel, 403)]
    a = await sockets(alice.token)
    other = await sockets(alice.token)
    await a.subscribe(channel)
    await a.wait_for("presence:subscribed")
    await a.client.emit("unsubscribe", {"channel": channel})
    await a.nothing("presence:leaving", wait=0.2)
    await other.subscribe(channel)
    members = (await other.wait_for("presence:subscribed"))[0][1]
    assert [m["user_id"] for m in members] == [alice.id]


async def test_call_presence_channel_rules(api, svc, sockets):
    alice = await api.register()
    bob = await api.register()
    carol = await api.register()
    thread = await make_thread(svc, [alice.id, bob.id, carol.id], group=True, subject="Calls")
    call = await make_call(svc, thread, alice.id, joined=(alice.id, bob.id))
    ended = await make_call(svc, thread, alice.id, joined=(alice.id,), ended=True)
    from sqlalchemy import update

    from messenger_gateway.storage.models import CallParticipant

    async with svc.db.session() as session:
        await session.execute(update(CallParticipant).where(CallParticipant.owner_id == bob.id).values(kicked=True))
        await session.commit()
    good = f"presence-messenger.call.{call}.thread.{thread}"
    a = await sockets(alice.token)
    await a.subscribe(good)
    await a.wait_for("presence:subscribed", good)
    b = await sockets(bob.token)  # kicked
    await b.subscribe(good)
    c = await sockets(carol.token)  # never joined
    await c.subscribe(good)
    await a.subscribe(f"presence-messenger.call.{ended}.thread.{thread}")  # ended
    await a.subscribe(f"presence-messenger.call.{call}.thread.{await make_thread(svc, [alice.id])}")  # wrong thread
    assert await b.wait_for("subscription_error") == [(good, 403)]
    assert await c.wait_for("subscription_error") == [(good, 403)]
    assert len(await a.wait_for("subscription_error", count=2)) == 2


async def test_whispers_reach_the_others_only(api, svc, sockets):
    alice = await api.register()
    bob = await api.register()
    thread = await make_thread(svc, [alice.id, bob.id])
    channel = f"presence-messenger.thread.{thread}"
    a = await sockets(alice.token)
    b = await sockets(bob.token)
    outsider = await sockets()
    for s in (a, b):
        await s.subscribe(channel)
        await s.wait_for("presence:subscribed")
    await outsider.subscribe("news")
    await a.whisper(channel, "typing", {"provider_id": alice.id, "typing": True})
    assert await b.wait_for("client-typing", channel) == [(channel, {"provider_id": alice.id, "typing": True})]
    await a.nothing("client-typing")
    # LES also accepts the payload as a JSON string
    await a.client.emit("client event", '{"channel": "%s", "event": "client-read", "data": {"m": 1}}' % channel)
    await b.wait_for("client-read", channel)
    # not "client-", not subscribed, or a public channel: dropped
    await a.client.emit("client event", {"channel": channel, "event": "new.message", "data": {}})
    await outsider.whisper(channel, "typing", {})
    await outsider.whisper("news", "typing", {})
    await a.nothing("new.message")
    await b.nothing("new.message")
    assert len(b.received("client-typing")) == 1


async def test_sender_exclusion_with_socket_id(api, sockets, publish, subscribed):
    a = await sockets()
    b = await sockets()
    for s in (a, b):
        await s.subscribe("room")
    await subscribed("room", 2)
    await publish("room", "to.others", {"n": 1}, socket_id=a.sid)
    await b.wait_for("to.others", "room")
    await a.nothing("to.others")


async def test_revoked_token_disconnects_its_sockets(api, sockets):
    me = await api.register()
    sock = await sockets(me.token)
    other = await sockets()
    await sock.subscribe(f"private-messenger.user.{me.id}")
    assert (await api.post("/api/auth/logout", me.token)).status == 200
    await sock.wait_for("__disconnect__")
    assert not sock.client.connected
    assert other.client.connected


async def test_resubscribe_after_reconnect_gets_a_fresh_member_list(api, svc, server):
    alice = await api.register()
    thread = await make_thread(svc, [alice.id])
    channel = f"presence-messenger.thread.{thread}"
    url = str(server.make_url("/"))
    first = await connect(url, alice.token)
    await first.subscribe(channel)
    await first.wait_for("presence:subscribed")
    await first.close()
    again = await connect(url, alice.token)
    await again.subscribe(channel)
    members = (await again.wait_for("presence:subscribed"))[0][1]
    assert [m["user_id"] for m in members] == [alice.id]
    await again.close()


POLLING = {"gateway": {"clients": [{"app_id": "app1", "key": "key-one"}],
                       # python-engineio's client only notices a closed long-poll at the next ping
                       "ping_interval_seconds": 1, "ping_timeout_seconds": 1}}


@pytest.mark.parametrize("config_overrides,transport", [(POLLING, "polling")])
async def test_long_polling_clients_work_too(api, sockets, publish, subscribed, transport):
    sock = await sockets(transports=[transport])
    await sock.subscribe("poll-room")
    await subscribed("poll-room")
    await publish("poll-room", "evt", {"ok": True})
    await sock.wait_for("evt", "poll-room")


@pytest.mark.parametrize("config_overrides,transports", [
    (POLLING, ["polling", "websocket"]),  # starts on long-polling, then upgrades
    (POLLING, ["websocket"]),
])
async def test_a_burst_of_events_arrives_complete_and_in_order(api, sockets, publish, subscribed, transports):
    socks = [await sockets(transports=transports) for _ in range(3)]
    for sock in socks:
        await sock.subscribe("burst")
    await subscribed("burst", 3)
    await asyncio.gather(*(publish("burst", "seq", {"n": n}) for n in range(5)))  # concurrent publishers
    for n in range(5, 150):
        await publish("burst", "seq", {"n": n})
    for sock in socks:
        got = await sock.wait_for("seq", "burst", count=150)
        numbers = [args[1]["n"] for args in got]
        assert sorted(numbers[:5]) == list(range(5)) and numbers[5:] == list(range(5, 150))
