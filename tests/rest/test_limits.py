"""Request limits that stop floods: messages per user and thread, registrations and logins per client address.
Each answers 429 with Retry-After, and other users, threads and addresses are not affected."""
from __future__ import annotations

import pytest

from tests.support.factories import make_thread

API = "/api/messenger"
WRONG = {"password": "wrong password!"}


@pytest.fixture
def config_overrides():
    return {"limits": {"messages_per_minute": 3, "register_per_minute": 4, "login_per_address_per_minute": 3}}


async def test_messages_per_user_and_thread(api, svc, clock):
    me, friend = await api.register(), await api.register()
    first = await make_thread(svc, [me.id, friend.id], group=True, subject="one")
    second = await make_thread(svc, [me.id, friend.id], group=True, subject="two")
    for n in range(3):
        assert (await api.post(f"{API}/threads/{first}/messages", me.token, json={"message": f"m{n}"})).status == 201
    flood = await api.post(f"{API}/threads/{first}/messages", me.token, json={"message": "one too many"})
    assert flood.status == 429 and flood.body == {"message": "Too Many Attempts."}
    assert 1 <= int(flood.headers["Retry-After"]) <= 60
    assert (await api.post(f"{API}/threads/{second}/messages", me.token, json={"message": "elsewhere"})).status == 201
    assert (await api.post(f"{API}/threads/{first}/messages", friend.token, json={"message": "me too"})).status == 201
    clock.advance(61)
    assert (await api.post(f"{API}/threads/{first}/messages", me.token, json={"message": "later"})).status == 201
    bodies = [m["body"] for m in (await api.get(f"{API}/threads/{first}/messages", me.token)).body["data"]]
    assert "one too many" not in bodies and "later" in bodies


async def test_registrations_and_logins_per_address(api, clock):
    users = [await api.register() for _ in range(4)]
    flood = await api.post("/api/auth/register", json={"name": "Fifth", "email": "fifth@example.com",
                                                        "password": "password123"})
    assert flood.status == 429 and "Retry-After" in flood.headers
    # password spraying: one address, many emails
    for user in users[:3]:
        assert (await api.post("/api/auth/login", json={"email": user.email, **WRONG})).status == 401
    sprayed = await api.post("/api/auth/login", json={"email": users[3].email, **WRONG})
    assert sprayed.status == 429
    clock.advance(61)
    assert (await api.post("/api/auth/login", json={"email": users[3].email, "password": "password123"})).status == 200
