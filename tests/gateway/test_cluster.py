"""Two nodes sharing one Redis: fan-out, presence members, dead-node cleanup, revocation, Redis input.

Node A runs in the test process; node B is a real `python run.py` process so it can be killed with SIGKILL.
"""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import orjson
import pytest
import yaml
from redis.asyncio import Redis

from tests.support.factories import make_thread
from tests.support.http import Api
from tests.support.services import require_redis
from tests.support.sockets import connect

ROOT = Path(__file__).resolve().parents[2]
KEY = {"Authorization": "Bearer key-one"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
    port = free_port()
    config = {**cluster_settings, "database_url": svc.config.resolved_database_url,
              "storage_dir": str(tmp_path / "node-b"),
              "security": {"argon2_time_cost": 1, "argon2_memory_kib": 1024, "argon2_parallelism": 1}}
    path = tmp_path / "node-b.yaml"
    path.write_text(yaml.safe_dump(config))
    env = {k: v for k, v in os.environ.items() if not k.startswith("MESSENGER_")}
    proc = subprocess.Popen([sys.executable, "run.py", "--config", str(path), "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    import aiohttp

    async with aiohttp.ClientSession() as session:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "node B exited"
            try:
                async with session.get(f"{base}/api/messenger") as resp:
                    if resp.status == 200:
                        break
            except aiohttp.ClientError:
                pass
            assert time.monotonic() < deadline, "node B did not start"
            await asyncio.sleep(0.1)
        yield base, proc, Api(base, session)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


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
    base_b, _, _ = node_b
    me = await api.register()
    remote = await connect(base_b, me.token)
    await remote.subscribe(f"private-messenger.user.{me.id}")
    assert (await api.post("/api/auth/logout", me.token)).status == 200
    await remote.wait_for("__disconnect__")


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
