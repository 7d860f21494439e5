"""/health, /ready and the JSON 503 a request gets when a dependency is down."""
from __future__ import annotations

import time
import uuid

import aiohttp
import pytest
from sqlalchemy import text

from messenger_gateway.app.factory import create_app
from messenger_gateway.core.services import SERVICES
from tests.conftest import make_config
from tests.support.http import Api
from tests.support.redis_server import own_redis


@pytest.fixture
def database(sqlite_database):
    return sqlite_database


async def test_health_and_ready_on_the_embedded_default(api, svc):
    health = await api.get("/health")
    assert health.status == 200
    assert health.body["status"] == "ok" and health.body["version"] and health.body["node"] == svc.lifecycle.node_id
    ready = await api.get("/ready")
    assert ready.status == 200 and ready.body == {"status": "ready", "checks": {"database": "ok"}}


async def test_redis_down_makes_ready_503_and_requests_a_json_503_then_both_recover(make_server, tmp_path):
    with own_redis(tmp_path) as redis:
        server = await make_server(redis_url=redis.url, gateway={"redis_prefix": f"t{uuid.uuid4().hex[:8]}:"})
        async with aiohttp.ClientSession() as http:
            api = Api(str(server.make_url("/")), http)
            user = await api.register()
            ready = await api.get("/ready")
            assert ready.status == 200 and ready.body["checks"] == {"database": "ok", "redis": "ok"}
            assert (await api.post("/api/messenger/heartbeat", user.token, json={"away": False})).status == 200

            redis.kill()
            ready = await api.get("/ready")
            assert ready.status == 503 and ready.body["status"] == "unavailable"
            assert ready.body["checks"]["database"] == "ok" and ready.body["checks"]["redis"] != "ok"
            assert ready.body["message"].startswith("Not ready: redis: ")
            assert (await api.get("/health")).status == 200  # the process itself answers
            beat = await api.post("/api/messenger/heartbeat", user.token, json={"away": False})
            assert beat.status == 503 and beat.body == {
                "message": "A service this server depends on is unavailable. Try again shortly."}
            assert beat.headers["Retry-After"] == "2"

            redis.start()  # same port, empty
            ready = await api.get("/ready")
            assert ready.status == 200 and ready.body["checks"]["redis"] == "ok"
            assert (await api.post("/api/messenger/heartbeat", user.token, json={"away": False})).status == 200


async def test_an_in_memory_database_serves(aiohttp_server, tmp_path):
    config = make_config(tmp_path / "storage", database_url="sqlite+aiosqlite:///:memory:")
    server = await aiohttp_server(create_app(config))
    async with aiohttp.ClientSession() as http:
        api = Api(str(server.make_url("/")), http)
        me = await api.register()
        assert (await api.get("/api/messenger/settings", me.token)).status == 200
        ready = await api.get("/ready")
        assert ready.status == 200
        metrics = await api.get("/metrics")
        assert metrics.status == 200 and b"messenger_db_pool_connections" in metrics.raw


async def test_a_request_that_finds_no_free_connection_gets_a_quick_json_503(make_server):
    server = await make_server(database_pool_timeout_seconds=0.5)
    svc = server.app[SERVICES]
    async with aiohttp.ClientSession() as http:
        api = Api(str(server.make_url("/")), http)
        me = await api.register()
        async with svc.db.session() as held:  # a long transaction holds the one SQLite connection
            await held.execute(text("SELECT 1"))
            started = time.monotonic()
            busy = await api.get("/api/messenger/threads", me.token)
            assert busy.status == 503 and busy.body == {"message": "The server is busy. Try again shortly."}
            assert time.monotonic() - started < 2
        assert (await api.get("/api/messenger/threads", me.token)).status == 200
