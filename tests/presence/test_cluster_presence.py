"""Two nodes on one Redis: a user's sockets on both count, and each change is pushed exactly once."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from messenger_gateway.core.clock import SystemClock
from tests.support.factories import make_friends
from tests.support.nodes import node_process
from tests.support.services import require_redis
from tests.support.sockets import connect

EVENT = "online.status"


@pytest.fixture
def clock():
    return SystemClock()  # node B runs on real time, so node A must too


@pytest.fixture
def presence_backend():
    return {
        "redis_url": require_redis(),
        "presence": {"sweep_interval_seconds": 0.1, "offline_grace_seconds": 1},
        "gateway": {"redis_prefix": f"t{uuid.uuid4().hex[:10]}:", "node_heartbeat_seconds": 0.3,
                    "node_timeout_seconds": 1.5},
    }


async def test_one_event_per_change_across_nodes(api, svc, server, tmp_path, presence_backend):
    me = await api.register()
    friend = await api.register()
    await make_friends(svc, me.id, friend.id)
    channel = f"private-messenger.user.{friend.id}"
    url_a = str(server.make_url("/"))
    listener = await connect(url_a, friend.token)
    await listener.subscribe(channel)
    await asyncio.sleep(0.2)
    async with node_process({**presence_backend, "database_url": svc.config.resolved_database_url}, tmp_path) as node_b:
        base_b, proc_b, api_b = node_b
        on_a = await connect(url_a, me.token)
        on_b = await connect(base_b, me.token)
        (online,) = await listener.wait_for(EVENT, channel)
        assert online[1]["online_status"] == 1
        await on_a.close()
        await asyncio.sleep(2.0)  # past the grace: the socket on node B still holds the user online
        assert len(listener.received(EVENT)) == 1
        await on_b.close()
        events = await listener.wait_for(EVENT, channel, count=2, timeout=5)
        assert events[1][1]["online_status"] == 0
        await asyncio.sleep(1.0)
        assert len(listener.received(EVENT)) == 2  # both nodes sweep; one OFFLINE event
        # a heartbeat through node B is seen and pushed once too
        reply = await api_b.post("/api/messenger/heartbeat", me.token, json={"away": True})
        assert reply.body["online_status"] == 2
        events = await listener.wait_for(EVENT, channel, count=3)
        assert events[2][1]["online_status"] == 2
        status = (await api.get(f"/api/messenger/search/{me.email}", friend.token)).body["data"][0]["options"]
        assert status["online_status"] == 2  # node A reads the same state


async def test_killed_node_stops_counting_its_sockets(api, svc, server, tmp_path, presence_backend):
    me = await api.register()
    friend = await api.register()
    await make_friends(svc, me.id, friend.id)
    channel = f"private-messenger.user.{friend.id}"
    listener = await connect(str(server.make_url("/")), friend.token)
    await listener.subscribe(channel)
    await asyncio.sleep(0.2)
    async with node_process({**presence_backend, "database_url": svc.config.resolved_database_url}, tmp_path) as node_b:
        base_b, proc_b, _ = node_b
        await connect(base_b, me.token)
        await listener.wait_for(EVENT, channel)
        proc_b.kill()
        events = await listener.wait_for(EVENT, channel, count=2, timeout=10)
        assert events[1][1]["online_status"] == 0
        await asyncio.sleep(0.5)
        assert len(listener.received(EVENT)) == 2
