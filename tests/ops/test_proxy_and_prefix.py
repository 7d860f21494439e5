"""Behind a TLS proxy: X-Forwarded-* from a trusted proxy decide URLs and client addresses; `api_prefix` moves
the routes, not only the links."""
from __future__ import annotations

import aiohttp
import pytest

from tests.support.http import Api

FORWARDED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "chat.example.com", "X-Forwarded-For": "203.0.113.9"}


@pytest.fixture
def database(sqlite_database):
    return sqlite_database


async def api_on(make_server, session, **overrides) -> Api:
    server = await make_server(**overrides)
    return Api(str(server.make_url("/")), session)


async def test_a_trusted_proxy_decides_scheme_host_and_client_address(make_server):
    async with aiohttp.ClientSession() as http:
        api = await api_on(make_server, http, server={"trusted_proxies": ["127.0.0.1/32"]},
                           limits={"login_per_minute": 3})
        info = await api.get("/api/messenger", headers=FORWARDED)
        assert info.body["socketEndpoint"] == "https://chat.example.com"
        me = await api.register("Jane Proxy")
        await api.register("John Proxy")
        search = await api.get("/api/messenger/search/proxy?page=1", me.token, headers=FORWARDED)
        assert search.body["meta"]["path"].startswith("https://chat.example.com/api/messenger/search/proxy")

        # the login limit counts the client behind the proxy, not the proxy
        for _ in range(3):
            wrong = await api.post("/api/auth/login", headers={"X-Forwarded-For": "198.51.100.1"},
                                   json={"email": me.email, "password": "wrong password"})
            assert wrong.status == 401, wrong
        limited = await api.post("/api/auth/login", headers={"X-Forwarded-For": "198.51.100.1"},
                                 json={"email": me.email, "password": "wrong password"})
        assert limited.status == 429
        elsewhere = await api.post("/api/auth/login", headers={"X-Forwarded-For": "198.51.100.2, 127.0.0.1"},
                                   json={"email": me.email, "password": "password123"})
        assert elsewhere.status == 200


async def test_forwarded_headers_from_an_untrusted_peer_are_ignored(make_server):
    async with aiohttp.ClientSession() as http:
        api = await api_on(make_server, http, server={"trusted_proxies": ["10.0.0.0/8"]},
                           limits={"login_per_minute": 2})
        info = await api.get("/api/messenger", headers=FORWARDED)
        assert info.body["socketEndpoint"].startswith("http://127.0.0.1:")
        me = await api.register()
        for forwarded_for in ("198.51.100.1", "198.51.100.2"):  # a spoofed header changes nothing: same client
            await api.post("/api/auth/login", headers={"X-Forwarded-For": forwarded_for},
                           json={"email": me.email, "password": "wrong password"})
        limited = await api.post("/api/auth/login", headers={"X-Forwarded-For": "198.51.100.3"},
                                 json={"email": me.email, "password": "wrong password"})
        assert limited.status == 429


@pytest.mark.parametrize("prefix", ["/api/v2", "/chat-api"])
async def test_api_prefix_moves_the_routes_and_keeps_them_protected(make_server, prefix):
    async with aiohttp.ClientSession() as http:
        api = await api_on(make_server, http, messenger={"api_prefix": prefix})
        info = await api.get(prefix)
        assert info.status == 200 and info.body["apiEndpoint"] == prefix
        assert (await api.get("/api/messenger")).status == 404
        assert (await api.get(f"{prefix}/settings")).status == 401  # a moved route still needs a token
        me = await api.register()
        settings = await api.get(f"{prefix}/settings", me.token)
        assert settings.status == 200 and settings.body["owner_id"] == me.id
        beat = await api.post(f"{prefix}/heartbeat", me.token, json={"away": False})
        assert beat.status == 200
