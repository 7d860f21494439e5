"""Every gateway limit, each refused clearly without harming the node."""
from __future__ import annotations

import asyncio

import pytest
import socketio

from tests.support.factories import make_thread

LIMITS = {"gateway": {
    "clients": [{"app_id": "app1", "key": "key-one"}],
    "limits": {"max_payload_kb": 2, "max_channel_name_length": 70, "max_channels_per_socket": 3,
               "whispers_per_second": 5, "max_connections_per_user": 2,
               "max_anonymous_connections_per_address": 2, "subscribe_refusals_per_minute": 2},
}}
pytestmark = pytest.mark.parametrize("config_overrides", [LIMITS])


async def test_channel_name_length_and_charset(sockets, subscribed):
    sock = await sockets()
    await sock.subscribe("x" * 71)
    await sock.subscribe("bad name with spaces")
    await sock.subscribe(12345)
    errors = await sock.wait_for("subscription_error", count=3)
    assert {e[1] for e in errors} == {400}
    await sock.subscribe("x" * 70)
    await subscribed("x" * 70)


async def test_channels_per_socket(sockets, subscribed):
    sock = await sockets()
    for i in range(3):
        await sock.subscribe(f"c{i}")
    await sock.subscribe("c3")
    assert await sock.wait_for("subscription_error") == [("c3", 429)]
    await subscribed("c2")
    await sock.client.emit("unsubscribe", {"channel": "c0"})
    await sock.subscribe("c3")
    await subscribed("c3")


async def test_whisper_rate(api, svc, sockets):
    alice = await api.register()
    bob = await api.register()
    channel = f"presence-messenger.thread.{await make_thread(svc, [alice.id, bob.id])}"
    a = await sockets(alice.token)
    b = await sockets(bob.token)
    for s in (a, b):
        await s.subscribe(channel)
        await s.wait_for("presence:subscribed")
    for i in range(8):
        await a.whisper(channel, "typing", {"i": i})
    await b.wait_for("client-typing", count=5)
    errors = await a.wait_for("whisper_error", channel, count=3)
    assert errors[0][1]["status"] == 429
    await asyncio.sleep(0.2)
    assert [args[1]["i"] for args in b.received("client-typing")] == [0, 1, 2, 3, 4]


async def test_payload_size_closes_only_that_connection(sockets, subscribed):
    sock = await sockets()
    other = await sockets()
    await other.subscribe("fine")
    await subscribed("fine")
    await sock.client.emit("client event", {"channel": "private-x", "event": "client-big", "data": "y" * 5000})
    await sock.wait_for("__disconnect__")
    assert other.client.connected
    third = await sockets()
    assert third.client.connected


async def test_connections_per_user(api, server, sockets):
    me = await api.register()
    await sockets(me.token)
    await sockets(me.token)
    client = socketio.AsyncClient(reconnection=False)
    reasons = []
    client.on("connect_error", lambda data: reasons.append(data))
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(str(server.make_url("/")), auth={"token": me.token}, transports=["websocket"])
    assert reasons == [{"message": "Too many connections: at most 2 per user."}]
    anonymous = await sockets()  # other users and anonymous sockets are unaffected
    assert anonymous.client.connected
    await asyncio.sleep(0)


async def test_sockets_without_a_token_are_limited_per_address(api, sockets):
    first, second = await sockets(), await sockets()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await sockets()
    me = await api.register()
    assert (await sockets(me.token)).client.connected  # with a token, the per-user limit applies instead
    await first.close()
    await asyncio.sleep(0.2)
    assert (await sockets()).client.connected
    del second


async def test_refused_subscribes_stop_costing_lookups_after_the_limit(api, sockets, clock):
    me, other = await api.register(), await api.register()
    sock = await sockets(me.token)
    for n in range(2):
        await sock.subscribe(f"private-messenger.user.{other.id}")
    refused = await sock.wait_for("subscription_error", count=2)
    assert [e[1] for e in refused] == [403, 403]
    await sock.subscribe(f"private-messenger.user.{me.id}")  # allowed, but the socket is over its refusals
    errors = await sock.wait_for("subscription_error", count=3)
    assert errors[2] == (f"private-messenger.user.{me.id}", 429)
    clock.advance(61)
    await sock.subscribe(f"private-messenger.user.{me.id}")
    await asyncio.sleep(0.3)
    assert len(sock.received("subscription_error")) == 3
