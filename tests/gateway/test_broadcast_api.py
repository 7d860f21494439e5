"""The laravel-echo-server compatible HTTP API: every route, keys, signatures, malformed bodies, limits."""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from urllib.parse import urlencode

import orjson

from tests.support.factories import make_thread

KEY = {"Authorization": "Bearer key-one"}


def signed_path(method: str, path: str, body: bytes, secret: str = "s3cret", key: str = "key-two",
                timestamp: int | None = None, tamper: bool = False) -> str:
    params = {"auth_key": key, "auth_timestamp": str(timestamp or int(time.time())), "auth_version": "1.0"}
    if body:
        params["body_md5"] = hashlib.md5(body).hexdigest()
    to_sign = f"{method}\n{path}\n" + "&".join(f"{k}={v}" for k, v in sorted(params.items()))
    signature = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    params["auth_signature"] = ("0" if tamper else "") + signature[: 63 if tamper else 64]
    return f"{path}?{urlencode(params)}"


async def test_events_and_batch_events(api, sockets, subscribed):
    a = await sockets()
    b = await sockets()
    await a.subscribe("orders")
    await b.subscribe("alerts")
    await subscribed("orders")
    await subscribed("alerts")
    reply = await api.post("/apps/app1/events", headers=KEY,
                           json={"name": "Shipped", "data": '{"id": 1}', "channels": ["orders", "alerts"]})
    assert reply.status == 200 and reply.body == {"message": "ok"}
    assert await a.wait_for("Shipped", "orders") == [("orders", {"id": 1})]  # a JSON string is decoded
    assert await b.wait_for("Shipped", "alerts") == [("alerts", {"id": 1})]
    by_query = await api.post("/apps/app1/events?auth_key=key-one", json={"name": "Q", "data": {"q": 1}, "channel": "orders"})
    assert by_query.status == 200
    await a.wait_for("Q", "orders")
    batch = await api.post("/apps/app1/batch_events", headers=KEY, json={"batch": [
        {"name": "One", "data": {"n": 1}, "channel": "orders"},
        {"name": "Two", "data": {"n": 2}, "channel": "alerts", "socket_id": b.sid},
    ]})
    assert batch.status == 200 and batch.body == {"batch": [{}, {}]}
    await a.wait_for("One", "orders")
    await b.nothing("Two")


async def test_keys_are_checked(api):
    body = {"name": "x", "data": {}, "channel": "c"}
    for headers, path in [({}, "/apps/app1/events"), ({"Authorization": "Bearer wrong"}, "/apps/app1/events"),
                          (KEY, "/apps/unknown/events"), ({}, "/apps/app1/events?auth_key=key-two")]:
        reply = await api.post(path, headers=headers, json=body)
        assert reply.status == 403, path
        assert reply.body["error"] == "Unauthorized"
    for path in ("/apps/app1/status", "/apps/app1/channels", "/apps/app1/channels/c", "/apps/app1/channels/presence-c/users"):
        assert (await api.get(path)).status == 403


async def test_signed_requests(api, sockets, subscribed):
    sock = await sockets()
    await sock.subscribe("signed-room")
    await subscribed("signed-room")
    body = orjson.dumps({"name": "Signed", "data": {"ok": 1}, "channel": "signed-room"})
    ok = await api.post(signed_path("POST", "/apps/signed/events", body), raw=body,
                        headers={"Content-Type": "application/json"})
    assert ok.status == 200, ok
    await sock.wait_for("Signed", "signed-room")
    cases = [
        (signed_path("POST", "/apps/signed/events", body, tamper=True), "Invalid signature."),
        (signed_path("POST", "/apps/signed/events", body, secret="wrong"), "Invalid signature."),
        (signed_path("POST", "/apps/signed/events", body, timestamp=int(time.time()) - 3600),
         "Timestamp expired: auth_timestamp is too far from the server time."),
        (signed_path("POST", "/apps/signed/events", b"other body"), "Invalid body_md5."),
        ("/apps/signed/events?auth_key=key-two", "Missing auth_signature or auth_timestamp."),
    ]
    for path, message in cases:
        reply = await api.post(path, raw=body, headers={"Content-Type": "application/json"})
        assert reply.status == 401 and reply.body["error"] == message, path
    assert len(sock.received("Signed")) == 1


async def test_malformed_bodies_and_limits(api):
    bad = [
        (b"not json", "Event must be a JSON object."),
        (b"[1,2]", "Event must be a JSON object."),
        (orjson.dumps({"name": "x", "channel": "c"}), "Event must include channel, event name and data"),
        (orjson.dumps({"data": {}, "channel": "c"}), "Event must include channel, event name and data"),
        (orjson.dumps({"name": "x", "data": {}}), "Event must include channel, event name and data"),
        (orjson.dumps({"name": "x", "data": {}, "channels": [f"c{i}" for i in range(101)]}),
         "channels must be a list of at most 100 names"),
        (orjson.dumps({"name": "x", "data": {}, "channel": "y" * 300}), "Invalid channel name"),
        (orjson.dumps({"name": "x", "data": {}, "channel": "has space"}), "Invalid channel name"),
        (orjson.dumps({"name": "x", "data": "z" * 200_000, "channel": "c"}), "data is larger than 100 KB"),
    ]
    for raw, message in bad:
        reply = await api.post("/apps/app1/events", raw=raw, headers={**KEY, "Content-Type": "application/json"})
        assert reply.status == 400, raw[:60]
        assert reply.body["error"] == message
    batch = await api.post("/apps/app1/batch_events", headers=KEY, json={"batch": [{"name": "x"}]})
    assert batch.status == 400 and batch.body["error"].startswith("batch[0]:")
    assert (await api.post("/apps/app1/batch_events", headers=KEY, json={"batch": []})).status == 400
    too_many = [{"name": "x", "data": {}, "channel": "c"}] * 11
    assert (await api.post("/apps/app1/batch_events", headers=KEY, json={"batch": too_many})).status == 400


async def test_status_channels_and_users(api, svc, sockets, subscribed):
    alice = await api.register("Alice")
    bob = await api.register("Bob")
    thread = await make_thread(svc, [alice.id, bob.id])
    presence = f"presence-messenger.thread.{thread}"
    a1 = await sockets(alice.token)
    a2 = await sockets(alice.token)
    b = await sockets(bob.token)
    for s in (a1, a2, b):
        await s.subscribe(presence)
    await a1.subscribe("news")
    await subscribed(presence, 3)
    await subscribed("news")
    status = await api.get("/apps/app1/status", headers=KEY)
    assert status.status == 200
    assert status.body["subscription_count"] == 3
    assert status.body["uptime"] >= 0 and status.body["memory_usage"]["rss"] > 0
    index = (await api.get("/apps/app1/channels", headers=KEY)).body
    assert index == {"channels": {presence: {"subscription_count": 3, "occupied": True},
                                  "news": {"subscription_count": 1, "occupied": True}}}
    filtered = (await api.get("/apps/app1/channels?filter_by_prefix=presence-", headers=KEY)).body
    assert list(filtered["channels"]) == [presence]
    show = (await api.get(f"/apps/app1/channels/{presence}", headers=KEY)).body
    assert show == {"subscription_count": 3, "occupied": True, "user_count": 2}
    empty = (await api.get("/apps/app1/channels/nobody-here", headers=KEY)).body
    assert empty == {"subscription_count": 0, "occupied": False}
    users = (await api.get(f"/apps/app1/channels/{presence}/users", headers=KEY)).body["users"]
    assert sorted(u["id"] for u in users) == sorted([alice.id, bob.id])
    assert {u["user_info"]["name"] for u in users} == {"Alice", "Bob"}
    not_presence = await api.get("/apps/app1/channels/news/users", headers=KEY)
    assert not_presence.status == 400
    assert not_presence.body["error"] == "User list is only possible for Presence Channels"
    await b.close()
    await subscribed(presence, 2)


async def test_an_event_that_cannot_reach_the_cluster_is_a_503_and_reaches_nobody(make_server, tmp_path):
    import uuid

    import aiohttp

    from tests.gateway.conftest import BROADCAST_CLIENTS
    from tests.support.http import Api
    from tests.support.redis_server import own_redis
    from tests.support.sockets import connect

    with own_redis(tmp_path) as redis:
        server = await make_server(redis_url=redis.url, gateway={"clients": BROADCAST_CLIENTS,
                                                                 "redis_prefix": f"t{uuid.uuid4().hex[:8]}:"})
        async with aiohttp.ClientSession() as http:
            api = Api(str(server.make_url("/")), http)
            listener = await connect(str(server.make_url("/")))
            await listener.subscribe("orders")
            await asyncio.sleep(0.3)
            event = {"name": "Shipped", "data": {"id": 1}, "channel": "orders"}
            assert (await api.post("/apps/app1/events", headers=KEY, json=event)).status == 200
            await listener.wait_for("Shipped", "orders")

            redis.kill()
            refused = await api.post("/apps/app1/events", headers=KEY, json={**event, "data": {"id": 2}})
            assert refused.status == 503 and refused.headers["Retry-After"] == "2", refused
            assert "nobody received it. Retry." in refused.body["message"]
            batch = await api.post("/apps/app1/batch_events", headers=KEY, json={"batch": [{**event, "data": {"id": 3}}]})
            assert batch.status == 503 and batch.body["message"].startswith("batch[0] could not be published")
            await asyncio.sleep(0.3)
            assert [e[1]["id"] for e in listener.received("Shipped", "orders")] == [1]  # not even this node's socket

            redis.start()  # back (empty): the retry goes through and is delivered once
            for _ in range(50):
                retried = await api.post("/apps/app1/events", headers=KEY, json={**event, "data": {"id": 2}})
                if retried.status == 200:
                    break
                await asyncio.sleep(0.1)
            assert retried.status == 200, retried
            await listener.wait_for("Shipped", "orders", count=2)
            assert [e[1]["id"] for e in listener.received("Shipped", "orders")] == [1, 2]
