"""With Redis, a limit holds for the whole cluster, not per node: logins, searches, message sends, knocks and
connections per user spread over two nodes stop where one node would. While Redis is away, each node counts by
itself (limits still hold per node; nobody gets a 500)."""
from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiohttp
import pytest
import socketio

from messenger_gateway.core.services import SERVICES
from tests.support.factories import make_thread
from tests.support.http import Api
from tests.support.redis_server import own_redis
from tests.support.services import require_redis
from tests.support.sockets import connect

API = "/api/messenger"
WRONG = {"password": "wrong password!"}
LIMITS = {"login_per_minute": 10, "search_per_minute": 4, "messages_per_minute": 3}


@pytest.fixture
def database(sqlite_database):
    return sqlite_database  # the counters live in Redis; one database is enough


async def two_nodes(make_server, redis_url: str, **extra: Any) -> tuple[Any, Any, aiohttp.ClientSession]:
    settings = {"redis_url": redis_url, "limits": LIMITS,
                "gateway": {"redis_prefix": f"t{uuid.uuid4().hex[:10]}:", **extra}}
    return await make_server(**settings), await make_server(**settings), aiohttp.ClientSession()


async def test_limits_hold_across_nodes(make_server):
    node_a, node_b, http = await two_nodes(make_server, require_redis(), limits={"max_connections_per_user": 2})
    async with http:
        a, b = Api(str(node_a.make_url("/")), http), Api(str(node_b.make_url("/")), http)
        me, friend = await a.register(), await a.register()

        logins = [await (a if n % 2 else b).post("/api/auth/login", json={"email": me.email, **WRONG})
                  for n in range(20)]
        assert [r.status for r in logins] == [401] * 10 + [429] * 10  # 10 in all, not 10 per node
        assert 1 <= int(logins[-1].headers["Retry-After"]) <= 60

        searches = [await (a if n % 2 else b).get(f"{API}/search/{friend.name}", me.token) for n in range(5)]
        assert [r.status for r in searches] == [200] * 4 + [429]
        assert [r.headers["X-RateLimit-Remaining"] for r in searches[:4]] == ["3", "2", "1", "0"]

        thread = await make_thread(node_a.app[SERVICES], [me.id, friend.id], group=True, subject="Ops")
        sends = [await (a if n % 2 else b).post(f"{API}/threads/{thread}/messages", me.token,
                                                json={"message": f"m{n}"}) for n in range(4)]
        assert [r.status for r in sends] == [201, 201, 201, 429]

        private = await make_thread(node_a.app[SERVICES], [me.id, friend.id])
        knocks = [await api.post(f"{API}/threads/{private}/knock-knock", me.token) for api in (a, b)]
        assert [r.status for r in knocks] == [200, 429], knocks

        first = await connect(str(node_a.make_url("/")), me.token)
        second = await connect(str(node_b.make_url("/")), me.token)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await connect(str(node_a.make_url("/")), me.token)  # two already open, one on each node
        await second.close()
        for _ in range(50):  # the close reaches the shared count
            try:
                third = await connect(str(node_a.make_url("/")), me.token)
                break
            except socketio.exceptions.ConnectionError:
                await asyncio.sleep(0.1)
        assert first.client.connected and third.client.connected


async def test_while_redis_is_away_each_node_counts_by_itself(make_server, tmp_path):
    with own_redis(tmp_path) as redis:
        node_a, node_b, http = await two_nodes(make_server, redis.url)
        async with http:
            a = Api(str(node_a.make_url("/")), http)
            me = await a.register()
            redis.kill()
            logins = [await a.post("/api/auth/login", json={"email": me.email, **WRONG}) for _ in range(12)]
            assert [r.status for r in logins] == [401] * 10 + [429] * 2  # this node's count still stops it
            redis.start()
            assert (await a.post("/api/auth/login", json={"email": me.email, **WRONG})).status == 401  # Redis: fresh
