"""The token cache survives a request that rolls back: it used to keep the provider that the rollback expired,
and every request with that token answered 500 until the entry aged out."""
from __future__ import annotations

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
