"""Non-messenger private/presence channels are authorized by the app's own /broadcasting/auth."""
from __future__ import annotations

import asyncio

import pytest
from aiohttp import web


@pytest.fixture
async def laravel(aiohttp_server):
    """A stand-in for the Laravel app's broadcasting auth route, recording what it was sent."""
    seen: list[dict] = []

    async def auth(request: web.Request) -> web.Response:
        form = await request.post()
        seen.append({"channel": form.get("channel_name"), "headers": dict(request.headers)})
        channel = form.get("channel_name")
        if request.headers.get("Authorization") != "Bearer laravel-session":
            return web.json_response({"message": "Unauthenticated."}, status=401)
        if channel == "private-orders.1":
            return web.json_response(True)
        if channel == "presence-chat.1":
            return web.json_response({"channel_data": {"user_id": 7, "user_info": {"name": "Laravel User"}}})
        if channel == "presence-chat.string":
            return web.json_response({"channel_data": '{"user_id": 8, "user_info": {"name": "Pusher Style"}}'})
        if channel == "private-slow":
            await asyncio.sleep(3)
            return web.json_response(True)
        return web.json_response({"message": "denied"}, status=403)

    app = web.Application()
    app.router.add_post("/broadcasting/auth", auth)
    server = await aiohttp_server(app)
    return server, seen


@pytest.fixture
async def server(make_server, laravel):
    host, _ = laravel
    return await make_server(gateway={
        "clients": [{"app_id": "app1", "key": "key-one"}],
        "auth_host": str(host.make_url("/")).rstrip("/"),
        "auth_timeout_seconds": 1,
    })


async def subscribe(sock, channel: str, headers: dict) -> None:
    await sock.client.emit("subscribe", {"channel": channel, "auth": {"headers": headers}})


async def test_forwarded_private_and_presence(laravel, sockets, subscribed, publish):
    _, seen = laravel
    headers = {"Authorization": "Bearer laravel-session", "X-CSRF-TOKEN": "csrf", "X-Evil": "drop me"}
    sock = await sockets()
    await subscribe(sock, "private-orders.1", headers)
    await subscribed("private-orders.1")
    await publish("private-orders.1", "OrderPaid", {"id": 1})
    assert await sock.wait_for("OrderPaid") == [("private-orders.1", {"id": 1})]
    sent = seen[0]["headers"]
    assert sent["Authorization"] == "Bearer laravel-session" and sent["X-CSRF-TOKEN"] == "csrf"
    assert sent["X-Requested-With"] == "XMLHttpRequest"
    assert "X-Evil" not in sent  # only allow-listed headers are forwarded
    await subscribe(sock, "presence-chat.1", headers)
    (members,) = await sock.wait_for("presence:subscribed", "presence-chat.1")
    assert members[1] == [{"user_id": 7, "user_info": {"name": "Laravel User"}}]
    await subscribe(sock, "presence-chat.string", headers)
    (members,) = await sock.wait_for("presence:subscribed", "presence-chat.string")
    assert members[1] == [{"user_id": 8, "user_info": {"name": "Pusher Style"}}]


async def test_forwarded_refusals_keep_their_status(sockets):
    sock = await sockets()
    await subscribe(sock, "private-orders.1", {})
    await subscribe(sock, "private-other.2", {"Authorization": "Bearer laravel-session"})
    await subscribe(sock, "private-slow", {"Authorization": "Bearer laravel-session"})
    errors = await sock.wait_for("subscription_error", count=3, timeout=8)
    assert sorted(errors) == sorted([("private-orders.1", 401), ("private-other.2", 403), ("private-slow", 0)])
