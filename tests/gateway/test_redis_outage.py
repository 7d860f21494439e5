"""Two nodes on a Redis of the test's own, which dies and comes back (empty) while people write and listen.

While Redis is away a stored write still answers success, this node's sockets get its events at once, and the
other nodes get them, in order and once, when Redis is back. Then every node puts the shared facts right by itself:
presence members, subscription counts, online statuses, revocations it could not be told about.
"""
from __future__ import annotations

import asyncio
import dataclasses
import time
import uuid
from typing import Any

import aiohttp
import pytest

from messenger_gateway.core.clock import SystemClock
from messenger_gateway.core.services import SERVICES
from tests.support.factories import make_friends, make_thread
from tests.support.http import Api
from tests.support.redis_server import OwnRedis
from tests.support.sockets import Recorder, connect

KEY = {"Authorization": "Bearer key-one"}


@pytest.fixture
def clock():
    return SystemClock()  # node liveness and grace periods run on real time here


@pytest.fixture
async def cluster(make_server, tmp_path):
    """Two in-process nodes on one SQLite file and one Redis of the test's own; yields a factory so a test can set
    its own outbox size."""
    opened: list[OwnRedis] = []

    async def start(**gateway: Any) -> tuple[OwnRedis, Any, Any, Api, Api]:
        redis = OwnRedis(tmp_path)
        opened.append(redis)
        redis.start()
        settings = {
            "redis_url": redis.url,
            "presence": {"sweep_interval_seconds": 0.1, "offline_grace_seconds": 1},
            "gateway": {"redis_prefix": f"t{uuid.uuid4().hex[:8]}:", "clients": [{"app_id": "app1", "key": "key-one"}],
                        "node_heartbeat_seconds": 0.3, "node_timeout_seconds": 1.5, **gateway},
        }
        node_a = await make_server(**settings)
        node_b = await make_server(**settings)
        http = aiohttp.ClientSession()
        sessions.append(http)
        return redis, node_a, node_b, Api(str(node_a.make_url("/")), http), Api(str(node_b.make_url("/")), http)

    sessions: list[aiohttp.ClientSession] = []
    yield start
    for http in sessions:
        await http.close()
    for redis in opened:
        redis.kill()


async def user_socket(node: Any, user: Any, *channels: str) -> Recorder:
    socket = await connect(str(node.make_url("/")), user.token)
    for channel in channels or (f"private-messenger.user.{user.id}",):
        await socket.subscribe(channel)
    return socket


def texts(socket: Recorder, user: Any) -> list[str]:
    return [args[1]["body"] for args in socket.received("new.message", f"private-messenger.user.{user.id}")]


async def eventually(check: Any, timeout: float = 10.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = await check()
        if result:
            return result
        assert time.monotonic() < deadline, f"not within {timeout}s: {what}"
        await asyncio.sleep(0.1)


def metric(text: str, name: str) -> float:
    return next(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " "))


async def members(api: Api, channel: str) -> set[str]:
    reply = await api.get(f"/apps/app1/channels/{channel}/users", headers=KEY)
    assert reply.status == 200, reply
    return {str(user["id"]) for user in reply.body["users"]}


async def send(api: Api, user: Any, thread: str, body: str) -> Any:
    reply = await api.post(f"/api/messenger/threads/{thread}/messages", user.token,
                           json={"message": body, "temporary_id": uuid.uuid4().hex})
    assert reply.status == 201, reply
    return reply


async def test_writes_during_an_outage_are_stored_answered_and_delivered_in_order_once(cluster):
    redis, node_a, node_b, api_a, api_b = await cluster()
    alice, bob, carol = await api_a.register(), await api_a.register(), await api_a.register()
    thread = await make_thread(node_a.app[SERVICES], [alice.id, bob.id, carol.id], group=True, subject="Ops")
    bob_on_a = await user_socket(node_a, bob)
    carol_on_b = await user_socket(node_b, carol)
    await asyncio.sleep(0.3)
    await send(api_a, alice, thread, "before")
    await carol_on_b.wait_for("new.message", count=1)

    redis.kill()
    started = time.monotonic()
    for n in range(5):
        await send(api_a, alice, thread, f"during {n}")
    assert time.monotonic() - started < 2.0  # no waiting on the dead Redis per request
    # this node's sockets had them at once; the other node's will when Redis is back
    await bob_on_a.wait_for("new.message", count=6)
    assert texts(bob_on_a, bob) == ["before"] + [f"during {n}" for n in range(5)]
    assert texts(carol_on_b, carol) == ["before"]
    metrics = (await api_a.get("/metrics")).raw.decode()
    assert 'messenger_outbox_held{outbox="events"} 5.0' in metrics

    redis.start()  # same port, empty
    await carol_on_b.wait_for("new.message", count=6, timeout=15)
    await send(api_b, carol, thread, "after")
    await bob_on_a.wait_for("new.message", count=7, timeout=10)
    await asyncio.sleep(0.5)
    expected = ["before"] + [f"during {n}" for n in range(5)] + ["after"]
    assert texts(carol_on_b, carol) == expected  # in order, each once
    assert texts(bob_on_a, bob) == expected
    stored = await api_b.get(f"/api/messenger/threads/{thread}/messages", carol.token)
    assert sorted(m["body"] for m in stored.body["data"]) == sorted(expected)  # each stored once
    metrics = (await api_a.get("/metrics")).raw.decode()
    assert 'messenger_outbox_held{outbox="events"} 0.0' in metrics
    # the five messages, and status pushes the heal decided while they were still queued
    assert metric(metrics, 'messenger_outbox_sent_late_total{outbox="events"}') >= 5


async def test_a_logout_during_an_outage_closes_its_sockets_on_every_node(cluster):
    redis, node_a, node_b, api_a, api_b = await cluster()
    bob = await api_a.register()
    other_token = (await api_a.post("/api/auth/login", json={"email": bob.email, "password": "password123"})).body
    socket_on_b = await user_socket(node_b, bob)
    await asyncio.sleep(0.3)

    redis.kill()
    logout = await api_a.post("/api/auth/logout", bob.token)
    assert logout.status in (200, 204), logout
    assert (await api_a.get("/api/messenger/settings", bob.token)).status == 401  # the token is gone at once
    assert socket_on_b.client.connected  # node B cannot be told yet

    redis.start()
    await socket_on_b.wait_for("__disconnect__", timeout=15)
    assert (await api_b.get("/api/messenger/settings", bob.token)).status == 401
    assert other_token and (await api_b.get("/api/messenger/settings", other_token["token"])).status == 200


async def test_a_full_outbox_drops_the_oldest_counts_them_and_revocations_still_land(cluster):
    redis, node_a, node_b, api_a, api_b = await cluster(outbox_size=2)
    alice, carol = await api_a.register(), await api_a.register()
    thread = await make_thread(node_a.app[SERVICES], [alice.id, carol.id], group=True, subject="Ops")
    carol_on_b = await user_socket(node_b, carol)
    alice_on_b = await user_socket(node_b, alice)
    await asyncio.sleep(0.3)

    redis.kill()
    # the revocation goes first, then enough instructions (counter drops of each send) to push it out
    assert (await api_a.post("/api/auth/logout", alice.token)).status in (200, 204)
    second = (await api_a.post("/api/auth/login", json={"email": alice.email, "password": "password123"})).body
    writer = dataclasses.replace(alice, token=second["token"])
    for n in range(5):
        await send(api_a, writer, thread, f"during {n}")
    metrics = (await api_a.get("/metrics")).raw.decode()
    assert 'messenger_outbox_dropped_total{outbox="events"} 3.0' in metrics
    assert 'messenger_outbox_dropped_total{outbox="control"}' in metrics

    redis.start()
    await carol_on_b.wait_for("new.message", count=2, timeout=15)
    await asyncio.sleep(0.5)
    assert texts(carol_on_b, carol) == ["during 3", "during 4"]  # the newest two, in order
    # the Revoke was dropped from the full outbox; node B re-checks its sockets' tokens when Redis is back
    await alice_on_b.wait_for("__disconnect__", timeout=10)
    assert carol_on_b.client.connected


async def test_redis_back_empty_heals_members_counts_and_statuses_without_false_offline(cluster):
    redis, node_a, node_b, api_a, api_b = await cluster()
    alice, carol, dave = await api_a.register(), await api_a.register(), await api_a.register()
    svc = node_a.app[SERVICES]
    thread = await make_thread(svc, [alice.id, carol.id, dave.id], group=True, subject="Ops")
    await make_friends(svc, alice.id, carol.id)
    here = f"presence-messenger.thread.{thread}"
    alice_on_a = await user_socket(node_a, alice, here)
    dave_on_a = await user_socket(node_a, dave, here)
    carol_on_b = await user_socket(node_b, carol, f"private-messenger.user.{carol.id}", here)
    await eventually(lambda: _has(api_b, here, {alice.id, carol.id, dave.id}), what="three members")
    assert (await api_b.post("/api/messenger/heartbeat", carol.token, json={"away": True})).status == 200

    redis.kill()
    await dave_on_a.close()  # leaves while Redis cannot be told
    await alice_on_a.wait_for("presence:leaving", here, timeout=5)  # same node: told at once
    threads = await api_b.get("/api/messenger/threads", carol.token)
    assert threads.status == 200, threads  # reads still work (statuses read as OFFLINE meanwhile)
    await asyncio.sleep(0.5)
    redis.start()  # empty

    await eventually(lambda: _has(api_a, here, {alice.id, carol.id}), what="members re-registered")
    assert await members(api_b, here) == {alice.id, carol.id}
    leaving = await carol_on_b.wait_for("presence:leaving", here, timeout=10)
    assert [args[1]["user_id"] for args in leaving] == [dave.id]
    counts = await api_a.get(f"/apps/app1/channels/{here}", headers=KEY)
    assert counts.body["subscription_count"] == 2

    async def status_of(user: Any, seen_by: Any, api: Api) -> int:
        hits = (await api.get(f"/api/messenger/search/{user.email}", seen_by.token)).body["data"]
        return int(hits[0]["options"]["online_status"])

    assert await eventually(lambda: _equals(status_of(alice, carol, api_b), 1), what="alice ONLINE again")
    assert await status_of(carol, alice, api_a) == 2  # carol's AWAY heartbeat was re-asserted by node B
    await asyncio.sleep(2.0)  # past the grace period and several sweeps
    assert await status_of(alice, carol, api_b) == 1
    pushed = [(args[1]["provider_id"], args[1]["online_status"]) for args in carol_on_b.received("online.status")]
    assert (alice.id, 0) not in pushed  # no false OFFLINE for alice, whose socket never closed
    assert {status for who, status in pushed if who == carol.id} == {2}  # carol never flashed ONLINE


async def _has(api: Api, channel: str, expected: set[str]) -> bool:
    reply = await api.get(f"/apps/app1/channels/{channel}/users", headers=KEY)
    if reply.status == 503:  # Redis is still coming up: the channel API needs it
        return False
    return await members(api, channel) == expected


async def _equals(value: Any, expected: Any) -> bool:
    return await value == expected


async def test_events_redis_could_not_record_are_never_a_silent_gap_in_recovery(cluster):
    redis, node_a, node_b, api_a, api_b = await cluster()
    alice, bob = await api_a.register(), await api_a.register()
    thread = await make_thread(node_a.app[SERVICES], [alice.id, bob.id])
    channel = f"private-messenger.user.{alice.id}"
    first = await connect(str(node_b.make_url("/")), alice.token)
    await first.subscribe(channel, alice.token, positions=True)
    await asyncio.sleep(0.3)
    await send(api_a, bob, thread, "recorded")
    [event] = await first.wait_for("new.message", channel)
    await first.close()

    redis.kill()
    for n in range(3):
        await send(api_a, bob, thread, f"unrecorded {n}")  # stored and answered, but in no history
    redis.start()  # back, empty
    await eventually(lambda: _ready(api_b), what="node B ready")
    again = await connect(str(node_b.make_url("/")), alice.token)
    await again.subscribe(channel, alice.token, since=event[2])
    [(_, failed)] = await again.wait_for("recovery_failed", channel, timeout=10)
    assert failed["epoch"] != event[2]["epoch"]  # not "nothing missed": the client must catch up over REST
    caught_up = await api_b.get(f"/api/messenger/threads/{thread}/messages?since={event[1]['created_at']}", alice.token)
    assert sorted(m["body"] for m in caught_up.body["data"]) == [f"unrecorded {n}" for n in range(3)]


async def _ready(api: Api) -> bool:
    return (await api.get("/ready")).status == 200
