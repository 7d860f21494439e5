"""PostgreSQL stops (as a crash would) and comes back: requests answer a quick JSON 503 meanwhile, nothing is
half-written, and the pool recovers by itself. A PostgreSQL of the test's own, never the machine's."""
from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from messenger_gateway.core.services import SERVICES
from tests.support.factories import make_thread
from tests.support.postgres_server import own_postgres

UNAVAILABLE = {"message": "A service this server depends on is unavailable. Try again shortly."}


@pytest.fixture
def own_pg():
    with own_postgres() as server:
        yield server


@pytest.fixture
def database(own_pg):
    return {"database_url": own_pg.url, "database_schema": f"t_{uuid.uuid4().hex[:12]}"}


async def timed(call):
    started = time.monotonic()
    reply = await call
    return reply, time.monotonic() - started


async def test_postgres_down_gives_quick_json_503s_nothing_half_written_and_the_pool_recovers(api, svc, own_pg):
    alice, bob = await api.register(), await api.register()
    thread = await make_thread(svc, [alice.id, bob.id])
    path = f"/api/messenger/threads/{thread}/messages"
    assert (await api.post(path, alice.token, json={"message": "one", "temporary_id": "1"})).status == 201
    assert (await api.get("/api/messenger/threads", bob.token)).status == 200  # the pool holds connections now

    own_pg.stop()
    for call in (api.get("/api/messenger/threads", bob.token),
                 api.post(path, alice.token, json={"message": "lost", "temporary_id": "2"}),
                 api.post("/api/auth/register", json={"name": "Carol", "email": "carol@example.com",
                                                      "password": "password123"})):
        reply, took = await timed(call)
        assert (reply.status, reply.body) == (503, UNAVAILABLE), reply
        assert reply.headers["Retry-After"] == "2"
        assert took < 2.0, f"took {took:.2f} s"
    ready = await api.get("/ready")
    assert ready.status == 503 and ready.body["checks"]["database"] != "ok"
    assert (await api.get("/health")).status == 200

    own_pg.start()
    deadline = time.monotonic() + 15
    while (await api.get("/api/messenger/threads", bob.token)).status != 200:
        assert time.monotonic() < deadline, "the pool did not recover"
        await asyncio.sleep(0.1)
    assert (await api.get("/ready")).status == 200
    assert (await api.post(path, alice.token, json={"message": "two", "temporary_id": "3"})).status == 201
    listed = await api.get(path, bob.token)
    assert [m["body"] for m in listed.body["data"]] == ["two", "one"]  # the refused send was not stored
    carol = await api.post("/api/auth/register", json={"name": "Carol", "email": "carol@example.com",
                                                      "password": "password123"})
    assert carol.status == 201, carol  # the refused registration left nothing behind
    pool = svc.db.pool_use()
    assert pool["in_use"] == 0, pool


async def test_a_socket_connecting_while_postgres_is_down_is_refused_and_connects_after(server, api, own_pg, sockets):
    alice = await api.register()
    own_pg.stop()
    with pytest.raises(Exception):
        await sockets(alice.token)
    own_pg.start()
    deadline = time.monotonic() + 15
    while True:
        try:
            socket = await sockets(alice.token)
            break
        except Exception:
            assert time.monotonic() < deadline, "sockets never connected again"
            await asyncio.sleep(0.1)
    assert socket.client.connected
    deadline = time.monotonic() + 5  # the status push that follows the connect may still hold one briefly
    while server.app[SERVICES].db.pool_use()["in_use"]:
        assert time.monotonic() < deadline, "a connection stayed lent out"
        await asyncio.sleep(0.05)
