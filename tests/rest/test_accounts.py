"""Registration, login, logout and bearer-token authentication."""
from __future__ import annotations

from sqlalchemy import select

from messenger_gateway.storage.models import AccessToken
from tests.support.seed import assert_same_shape, seed_response


async def test_register_returns_token_and_provider(api):
    reply = await api.post("/api/auth/register", json={"name": "Jane Doe", "email": "Jane@Example.com", "password": "s3cret-pass"})
    assert reply.status == 201
    assert list(reply.body) == ["token", "provider"]
    provider = reply.body["provider"]
    assert provider["name"] == "Jane Doe"
    assert provider["provider_alias"] == "user"
    # the provider object is the seed's owner object (no options)
    assert_same_shape(provider, seed_response("GET /api/messenger/settings")["owner"])
    me = await api.get("/api/messenger/settings", reply.body["token"])
    assert me.status == 200
    assert me.body["owner_id"] == provider["provider_id"]


async def test_register_validation_errors(api):
    await api.register("Taken", "taken@example.com")
    cases = [
        ({"name": "A", "email": "taken@example.com", "password": "password123"}, "email", "The email has already been taken."),
        ({"name": "A", "email": "TAKEN@example.com", "password": "password123"}, "email", "The email has already been taken."),
        ({"name": "A", "email": "not-an-email", "password": "password123"}, "email", "The email must be a valid email address."),
        ({"name": "A", "email": "a@example.com", "password": "short"}, "password", "The password must be at least 8 characters."),
        ({"email": "b@example.com", "password": "password123"}, "name", "The name field is required."),
        ({"name": "A", "email": "c@example.com"}, "password", "The password field is required."),
    ]
    for payload, field, message in cases:
        reply = await api.post("/api/auth/register", json=payload)
        assert reply.status == 422, payload
        assert reply.body["message"] == "The given data was invalid."
        assert reply.body["errors"][field] == [message], payload


async def test_login_and_wrong_credentials(api):
    user = await api.register("Login User", "login@example.com", "correct horse")
    ok = await api.post("/api/auth/login", json={"email": "login@example.com", "password": "correct horse"})
    assert ok.status == 200
    assert ok.body["provider"]["provider_id"] == user.id
    assert ok.body["token"] != user.token
    assert (await api.get("/api/messenger/settings", ok.body["token"])).status == 200
    wrong = await api.post("/api/auth/login", json={"email": "login@example.com", "password": "wrong horse"})
    assert wrong.status == 401
    assert wrong.body == {"message": "These credentials do not match our records."}
    unknown = await api.post("/api/auth/login", json={"email": "nobody@example.com", "password": "whatever1"})
    assert unknown.status == 401
    missing = await api.post("/api/auth/login", json={})
    assert missing.status == 422
    assert set(missing.body["errors"]) == {"email", "password"}


async def test_logout_revokes_only_that_token(api):
    user = await api.register()
    second = (await api.post("/api/auth/login", json={"email": user.email, "password": "password123"})).body["token"]
    out = await api.post("/api/auth/logout", user.token)
    assert out.status == 200
    assert out.body == {"message": "success"}
    assert (await api.get("/api/messenger/settings", user.token)).status == 401
    assert (await api.get("/api/messenger/settings", second)).status == 200


async def test_every_messenger_route_needs_a_token(api):
    routes = [
        ("GET", "/api/messenger/settings"), ("PUT", "/api/messenger/settings"), ("POST", "/api/messenger/avatar"),
        ("DELETE", "/api/messenger/avatar"), ("POST", "/api/messenger/heartbeat"),
        ("GET", "/api/messenger/unread-threads-count"), ("GET", "/api/messenger/search/jane"),
        ("GET", "/api/messenger/active-calls"), ("GET", "/api/messenger/images/user/x/sm/default.png"),
        ("POST", "/api/auth/logout"),
    ]
    for method, path in routes:
        for token in (None, "not-a-real-token"):
            reply = await api.request(method, path, token)
            assert reply.status == 401, (method, path, token)
            assert reply.body == {"message": "Unauthenticated."}
    assert (await api.get("/api/messenger")).status == 200
    assert (await api.get("/api/messenger/settings", headers={"Authorization": "Basic abc"})).status == 401


async def test_tokens_are_stored_hashed(api, svc):
    user = await api.register()
    async with svc.db.session() as session:
        hashes = (await session.execute(select(AccessToken.token_hash).where(AccessToken.provider_id == user.id))).scalars().all()
    assert len(hashes) == 1
    assert user.token not in hashes[0] and len(hashes[0]) == 64


async def test_token_cache_expires_and_follows_profile_changes(api, svc, clock):
    """Checked tokens are remembered for token_cache_seconds; a profile change is seen at once."""
    import io

    import aiohttp
    from PIL import Image
    from sqlalchemy import delete

    user = await api.register()
    assert (await api.get("/api/messenger/settings", user.token)).status == 200
    buf = io.BytesIO()
    Image.new("RGB", (200, 200)).save(buf, format="PNG")
    form = aiohttp.FormData()
    form.add_field("image", buf.getvalue(), filename="a.png", content_type="image/png")
    name = (await api.post("/api/messenger/avatar", user.token, data=form)).body["owner"]["base"]["avatar"]
    beat = await api.post("/api/messenger/heartbeat", user.token, json={"away": False})
    assert beat.body["provider"]["base"]["avatar"] == name  # not the cached copy from before the upload
    # a token removed behind our back (not through logout) stops working when its cache entry expires
    async with svc.db.session() as session:
        await session.execute(delete(AccessToken).where(AccessToken.provider_id == user.id))
        await session.commit()
    clock.advance(svc.config.security.token_cache_seconds + 1)
    assert (await api.get("/api/messenger/settings", user.token)).status == 401


async def test_login_attempts_are_limited(api, clock):
    await api.register("Target", "target@example.com", "the right password")
    statuses = [(await api.post("/api/auth/login", json={"email": "target@example.com", "password": f"guess {i}"})).status
                for i in range(11)]
    assert statuses == [401] * 10 + [429]
    blocked = await api.post("/api/auth/login", json={"email": "target@example.com", "password": "the right password"})
    assert blocked.status == 429 and blocked.body == {"message": "Too Many Attempts."}
    assert int(blocked.headers["Retry-After"]) > 0
    other = await api.post("/api/auth/login", json={"email": "someone@example.com", "password": "whatever1"})
    assert other.status == 401  # other accounts are not locked out
    clock.advance(61)
    ok = await api.post("/api/auth/login", json={"email": "target@example.com", "password": "the right password"})
    assert ok.status == 200
