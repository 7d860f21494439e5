"""CORS over real HTTP: what a browser on another origin is told, for every kind of route and answer.

The headers are what browsers act on; tests/browser/test_cross_origin.py shows a real page on another origin in
Chromium succeeding or being refused."""
from __future__ import annotations

import aiohttp
import pytest

from tests.support.http import Api

APP = "https://chat.example.com"
OTHER = "https://evil.example.net"


def preflight_headers(origin: str, method: str = "POST", headers: str = "authorization,content-type") -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": headers}


async def options(session: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
    async with session.options(url, headers=headers) as resp:
        return resp.status, dict(resp.headers), await resp.text()


@pytest.fixture
def database(sqlite_database):  # the headers do not depend on the database
    return sqlite_database


async def test_a_listed_origin_may_call_every_kind_of_route_with_credentials(make_server):
    server = await make_server(environment="production", gateway={"cors_allowed_origins": [APP]})
    base = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as session:
        api = Api(base + "/", session)
        me = await api.register()
        for path, method in [("/api/messenger/heartbeat", "POST"), ("/api/auth/login", "POST"),
                             ("/api/messenger/threads/x/messages/y", "PUT"), ("/api/messenger/avatar", "DELETE")]:
            status, headers, _ = await options(session, base + path, preflight_headers(APP, method))
            assert status == 204, path  # answered before authentication: a preflight carries no token
            assert headers["Access-Control-Allow-Origin"] == APP
            assert headers["Access-Control-Allow-Credentials"] == "true"
            assert method in headers["Access-Control-Allow-Methods"]
            allowed = {h.strip().lower() for h in headers["Access-Control-Allow-Headers"].split(",")}
            assert {"authorization", "content-type", "x-socket-id", "x-requested-with"} <= allowed
            assert "Origin" in headers["Vary"]

        bearer = {"Authorization": f"Bearer {me.token}", "Origin": APP}
        async with session.get(f"{base}/api/messenger/settings", headers=bearer) as resp:
            assert resp.status == 200 and resp.headers["Access-Control-Allow-Origin"] == APP
        # errors too, so the page can read what went wrong
        async with session.get(f"{base}/api/messenger/settings", headers={"Origin": APP}) as resp:
            assert resp.status == 401 and resp.headers["Access-Control-Allow-Origin"] == APP
            assert "message" in await resp.json()
        async with session.get(f"{base}/api/messenger/nope", headers=bearer) as resp:
            assert resp.status == 404 and resp.headers["Access-Control-Allow-Origin"] == APP
        async with session.get(f"{base}/api/messenger", headers={"Origin": APP}) as resp:
            assert resp.headers["Access-Control-Allow-Origin"] == APP
            assert "Retry-After" in resp.headers["Access-Control-Expose-Headers"]
        async with session.get(f"{base}/images/user/{me.id}/sm/default.png", headers={"Origin": APP}) as resp:
            assert resp.headers["Access-Control-Allow-Origin"] == APP


async def test_other_origins_are_refused_and_nothing_runs(make_server):
    server = await make_server(environment="production", gateway={"cors_allowed_origins": [APP]})
    base = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as session:
        api = Api(base + "/", session)
        me = await api.register()
        status, headers, body = await options(session, f"{base}/api/messenger/settings",
                                              preflight_headers(OTHER, "PUT"))
        assert status == 403 and "Access-Control-Allow-Origin" not in headers
        assert OTHER in body and "cors_allowed_origins" in body
        # a request that needs no preflight is answered, but the browser is not allowed to read it
        async with session.get(f"{base}/api/messenger/settings",
                               headers={"Authorization": f"Bearer {me.token}", "Origin": OTHER}) as resp:
            assert resp.status == 200 and "Access-Control-Allow-Origin" not in resp.headers


async def test_production_without_origins_allows_no_cross_origin_page(make_server):
    server = await make_server(environment="production")
    base = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as session:
        status, headers, _ = await options(session, f"{base}/api/auth/login", preflight_headers(APP))
        assert status == 403 and "Access-Control-Allow-Origin" not in headers
        async with session.get(f"{base}/api/messenger", headers={"Origin": APP}) as resp:
            assert resp.status == 200 and "Access-Control-Allow-Origin" not in resp.headers
        # an OPTIONS that is no preflight is still an ordinary request: the route has no such method
        async with session.options(f"{base}/api/messenger") as resp:
            assert resp.status == 405


async def test_development_allows_any_origin_without_credentials(make_server):
    server = await make_server(environment="development")
    base = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as session:
        status, headers, _ = await options(session, f"{base}/api/auth/register", preflight_headers(OTHER))
        assert status == 204 and headers["Access-Control-Allow-Origin"] == "*"
        assert "Access-Control-Allow-Credentials" not in headers
        async with session.post(f"{base}/api/auth/register", headers={"Origin": OTHER},
                                json={"name": "Dev", "email": "dev@example.com", "password": "a long password"}) as resp:
            assert resp.status == 201 and resp.headers["Access-Control-Allow-Origin"] == "*"


async def test_socket_io_keeps_its_own_cors_from_the_same_setting(make_server):
    server = await make_server(environment="production", gateway={"cors_allowed_origins": [APP]})
    url = str(server.make_url("/socket.io/")) + "?EIO=4&transport=polling"
    async with aiohttp.ClientSession() as session:
        async with session.get(url, headers={"Origin": APP}) as resp:
            assert resp.status == 200 and resp.headers["Access-Control-Allow-Origin"] == APP
            assert resp.headers.getall("Access-Control-Allow-Origin") == [APP]  # not added twice
        async with session.get(url, headers={"Origin": OTHER}) as resp:
            assert resp.status == 400  # python-engineio refuses the origin
