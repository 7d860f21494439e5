"""The token cache survives a request that rolls back: it used to keep the provider that the rollback expired,
and every request with that token answered 500 until the entry aged out."""
from __future__ import annotations

import pytest

from tests.support.sockets import connect

API = "/api/messenger"


async def test_a_rollback_after_a_cache_miss_does_not_poison_the_cache(api, svc):
    me = await api.register()
    login = await api.post("/api/auth/login", json={"email": me.email, "password": "password123"})
    token = login.body["token"]  # fresh: not in the cache yet
    async with svc.db.session() as session:  # what a request does: authenticate (a miss), then fail and roll back
        found = await svc.accounts.authenticate(session, token)
        assert found is not None
        await session.rollback()
    for _ in range(3):
        reply = await api.get(f"{API}/settings", token)
        assert reply.status == 200 and reply.body["owner_id"] == me.id


@pytest.fixture
def config_overrides():
    return {"security": {"token_lifetime_days": 1}}


async def test_tokens_expire_after_their_lifetime_when_one_is_set(api, svc, server, clock):
    me = await api.register()
    assert (await api.get(f"{API}/settings", me.token)).status == 200  # cached now
    clock.advance(23 * 3600)
    assert (await api.get(f"{API}/settings", me.token)).status == 200
    clock.advance(3600 + 1)
    assert (await api.get(f"{API}/settings", me.token)).status == 401  # the cached entry is refused too
    sock = await connect(str(server.make_url("/")), me.token)  # the socket connects, as a guest
    await sock.subscribe(f"private-messenger.user.{me.id}")
    (refused,) = await sock.wait_for("subscription_error")
    assert refused[1] in (401, 403)
    fresh = await api.post("/api/auth/login", json={"email": me.email, "password": "password123"})
    assert (await api.get(f"{API}/settings", fresh.body["token"])).status == 200


async def test_an_expiring_token_closes_the_sockets_that_used_it(make_server):
    import asyncio
    import time

    import aiohttp

    from tests.support.http import Api

    server = await make_server(security={"token_lifetime_days": 1.5 / 86400})  # 1.5 s
    async with aiohttp.ClientSession() as http:
        api = Api(str(server.make_url("/")), http)
        me = await api.register()
        issued = time.monotonic()
        by_connection = await connect(str(server.make_url("/")), me.token)
        by_payload = await connect(str(server.make_url("/")))  # laravel-echo-server style
        for sock, token in ((by_connection, None), (by_payload, me.token)):
            await sock.subscribe(f"private-messenger.user.{me.id}", **({"token": token} if token else {}))
        await asyncio.sleep(0.3)
        assert not by_connection.received("__disconnect__") and not by_payload.received("__disconnect__")
        for sock in (by_connection, by_payload):
            await sock.wait_for("__disconnect__", timeout=5)
        assert time.monotonic() - issued >= 1.2  # not before the token expired
