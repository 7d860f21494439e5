"""Two nodes sharing one Redis: fan-out, presence members, dead-node cleanup, revocation, Redis input.

Node A runs in the test process; node B is a real `python run.py` process so it can be killed with SIGKILL.
"""
from __future__ import annotations

import asyncio
import signal
import time
import uuid

import orjson
import pytest
from redis.asyncio import Redis

from messenger_gateway.core.clock import SystemClock

from tests.support.factories import make_thread
from tests.support.http import Api
from tests.support.nodes import node_process
from tests.support.services import require_redis
from tests.support.sockets import connect

KEY = {"Authorization": "Bearer key-one"}


@pytest.fixture
def clock():
    return SystemClock()  # node B runs on real time, so node A must too


@pytest.fixture
def cluster_settings():
    redis_url = require_redis()
    prefix = f"t{uuid.uuid4().hex[:10]}:"
    return {
        "redis_url": redis_url,
        "gateway": {
            "clients": [{"app_id": "app1", "key": "key-one"}],
            "redis_prefix": prefix,
            "node_heartbeat_seconds": 0.5,
            "node_timeout_seconds": 2.0,
            "redis_subscriber": {"enabled": True, "prefix": f"{prefix}laravel_"},
        },
    }


@pytest.fixture
async def server(make_server, cluster_settings):
    return await make_server(**cluster_settings)


@pytest.fixture
async def node_b(server, svc, tmp_path, cluster_settings):
    """A second node: its own process, same database and Redis."""
    async with node_process({**cluster_settings, "database_url": svc.config.resolved_database_url}, tmp_path) as node:
        yield node


async def count_in(api: Api, channel: str) -> int:
    reply = await api.get(f"/apps/app1/channels/{channel}", headers=KEY)
    return reply.body["subscription_count"]


async def wait_count(api: Api, channel: str, count: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while await count_in(api, channel) != count:
        assert time.monotonic() < deadline, f"{channel} never had {count} sockets"
        await asyncio.sleep(0.05)


async def test_events_cross_nodes_and_except_socket(api, server, node_b):
    base_b, _, api_b = node_b
    on_a = await connect(str(server.make_url("/")))
    also_a = await connect(str(server.make_url("/")))
    on_b = await connect(base_b)
    for s in (on_a, also_a, on_b):
        await s.subscribe("orders")
    await wait_count(api, "orders", 3)  # the channel API is cluster-wide
    assert await count_in(api_b, "orders") == 3
    for node_api in (api, api_b):
        status = await node_api.get("/apps/app1/status", headers=KEY)
        assert status.body["subscription_count"] == 3  # connections on both nodes
    reply = await api_b.post("/apps/app1/events", headers=KEY,
                             json={"name": "Shipped", "data": {"id": 1}, "channel": "orders", "socket_id": also_a.sid})
    assert reply.status == 200
    assert await on_a.wait_for("Shipped", "orders") == [("orders", {"id": 1})]
    assert await on_b.wait_for("Shipped", "orders") == [("orders", {"id": 1})]
    await also_a.nothing("Shipped")  # excluded although the publish came in on the other node
    for s in (on_a, also_a, on_b):
        await s.close()


async def test_presence_members_span_nodes_and_a_killed_node_leaves(api, svc, server, node_b):
    base_b, proc_b, api_b = node_b
    alice = await api.register("Alice")
    bob = await api.register("Bob")
    channel = f"presence-messenger.thread.{await make_thread(svc, [alice.id, bob.id])}"
    a = await connect(str(server.make_url("/")), alice.token)
    await a.subscribe(channel)
    await a.wait_for("presence:subscribed", channel)
    b = await connect(base_b, bob.token)
    await b.subscribe(channel)
    members = (await b.wait_for("presence:subscribed", channel))[0][1]
    assert sorted(m["user_id"] for m in members) == sorted([alice.id, bob.id])
    (joining,) = await a.wait_for("presence:joining", channel)
    assert joining[1]["user_id"] == bob.id
    users = (await api.get(f"/apps/app1/channels/{channel}/users", headers=KEY)).body["users"]
    assert sorted(u["id"] for u in users) == sorted([alice.id, bob.id])

    proc_b.send_signal(signal.SIGKILL)
    proc_b.wait(timeout=10)
    started = time.monotonic()
    (leaving,) = await a.wait_for("presence:leaving", channel, timeout=30)
    assert leaving[1]["user_id"] == bob.id
    assert time.monotonic() - started < 30
    await asyncio.sleep(1.5)
    assert len(a.received("presence:leaving", channel)) == 1  # exactly once
    users = (await api.get(f"/apps/app1/channels/{channel}/users", headers=KEY)).body["users"]
    assert [u["id"] for u in users] == [alice.id]
    assert await count_in(api, channel) == 1
    await a.close()


async def test_revoking_a_token_disconnects_its_sockets_on_every_node(api, node_b):
    base_b, _, api_b = node_b
    me = await api.register()
    assert (await api_b.get("/api/messenger/settings", me.token)).status == 200  # node B now caches the token
    remote = await connect(base_b, me.token)
    await remote.subscribe(f"private-messenger.user.{me.id}")
    assert (await api.post("/api/auth/logout", me.token)).status == 200
    await remote.wait_for("__disconnect__")
    assert (await api_b.get("/api/messenger/settings", me.token)).status == 401  # and forgot it


async def test_laravel_redis_broadcaster_reaches_clients_once(api, server, node_b, cluster_settings):
    base_b, _, _ = node_b
    on_a = await connect(str(server.make_url("/")))
    on_b = await connect(base_b)
    sender = await connect(base_b)
    for s in (on_a, on_b, sender):
        await s.subscribe("news")
    await wait_count(api, "news", 3)
    prefix = cluster_settings["gateway"]["redis_subscriber"]["prefix"]
    redis = Redis.from_url(cluster_settings["redis_url"])
    message = {"event": "App\\Events\\Posted", "data": {"id": 3, "socket": sender.sid}, "socket": sender.sid}
    await redis.publish(f"{prefix}news", orjson.dumps(message))
    await redis.publish(f"{prefix}news", b"not json")  # ignored
    await redis.aclose()
    assert await on_a.wait_for("App\\Events\\Posted", "news") == [("news", {"id": 3, "socket": sender.sid})]
    await on_b.wait_for("App\\Events\\Posted", "news")
    await asyncio.sleep(0.3)
    assert len(on_a.received("App\\Events\\Posted")) == 1 and len(on_b.received("App\\Events\\Posted")) == 1
    assert sender.received("App\\Events\\Posted") == []  # "toOthers" from Laravel
    for s in (on_a, on_b, sender):
        await s.close()


async def test_settings_changed_on_one_node_are_seen_on_the_other(api, node_b):
    _, _, api_b = node_b
    me = await api.register()
    before = await api_b.post("/api/messenger/heartbeat", me.token, json={"away": False})  # B caches the row
    assert before.body["settings"]["dark_mode"] is True
    flags = {"message_popups": True, "message_sound": True, "call_ringtone_sound": True, "notify_sound": True}
    reply = await api.put("/api/messenger/settings", me.token, json={**flags, "dark_mode": False, "online_status": 2})
    assert reply.status == 200
    for _ in range(50):
        after = await api_b.post("/api/messenger/heartbeat", me.token, json={"away": False})
        if after.body["settings"]["dark_mode"] is False:
            break
        await asyncio.sleep(0.05)
    assert after.body["settings"]["dark_mode"] is False
    assert after.body["online_status"] == 2  # the new setting (always away) applies on node B too


async def test_a_member_removed_on_one_node_leaves_the_channel_on_the_other(api, svc, server, node_b):
    from tests.support.factories import make_friends

    base_b, _, api_b = node_b
    owner, removed = await api.register(), await api.register()
    await make_friends(svc, owner.id, removed.id)
    g = (await api.post("/api/messenger/groups", owner.token,
                        json={"subject": "Two nodes", "providers": [{"alias": "user", "id": removed.id}]})).body
    channel = f"presence-messenger.thread.{g['id']}"
    by_connection = await connect(base_b, removed.token)
    await by_connection.subscribe(channel)
    by_payload = await connect(base_b)  # laravel-echo-server style: the token only in the subscribe payload
    await by_payload.subscribe(channel, token=removed.token)
    for sock in (by_connection, by_payload):
        await sock.wait_for("presence:subscribed", channel)
    row = next(p for p in (await api.get(f"/api/messenger/threads/{g['id']}/participants", owner.token)).body["data"]
               if p["owner_id"] == removed.id)
    assert (await api.delete(f"/api/messenger/threads/{g['id']}/participants/{row['id']}", owner.token)).status == 200
    for sock in (by_connection, by_payload):  # on node B, though the removal happened on node A
        assert (channel, 403) in await sock.wait_for("subscription_error", channel)
    await wait_count(api_b, channel, 0)
