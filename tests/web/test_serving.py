"""The web client as the server hands it out: one page for every client-side route, the bundle versioned, cached,
gzipped, and nothing at all when it is turned off."""
from __future__ import annotations

import gzip
import re

import aiohttp
import pytest
from multidict import CIMultiDict

from messenger_gateway.rest.web_client import BUNDLE_DIR

BUDGET_GZIPPED = 150 * 1024  # the first page load's JavaScript, after gzip


@pytest.fixture
def database(sqlite_database):
    return sqlite_database


async def get(url: str, **headers: str) -> tuple[int, CIMultiDict[str], bytes]:
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        async with session.get(url, headers=headers) as resp:
            return resp.status, resp.headers.copy(), await resp.read()


async def test_every_client_route_gets_the_page_and_the_page_names_the_versioned_bundle(make_server):
    server = await make_server()
    base = str(server.make_url("")).rstrip("/")
    status, headers, body = await get(f"{base}/messenger")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in headers["Content-Security-Policy"] and headers["Cache-Control"] == "no-cache"
    page = body.decode()
    assert '"apiPrefix":"/api/messenger"' in page.replace("&quot;", '"')
    script = re.search(r'<script type="module" src="(/messenger/assets/app\.js\?v=[0-9a-f]{16})"', page)
    styles = re.search(r'<link rel="stylesheet" href="(/messenger/assets/app\.css\?v=[0-9a-f]{16})"', page)
    assert script and styles
    for route in ("/messenger/", "/messenger/threads/abc", "/messenger/join/CODE123", "/messenger/settings"):
        assert (await get(base + route))[2] == body, route

    status, headers, js = await get(base + script.group(1), **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert headers["Content-Type"].startswith("application/javascript")
    assert gzip.decompress(js) == (BUNDLE_DIR / "app.js").read_bytes()
    assert (await get(base + script.group(1), **{"If-None-Match": headers["ETag"]}))[0] == 304
    status, headers, css = await get(base + styles.group(1), **{"Accept-Encoding": "identity"})
    assert status == 200 and "Content-Encoding" not in headers and css == (BUNDLE_DIR / "app.css").read_bytes()
    # an old or missing version is not cached for long; an unknown file is a JSON 404
    assert (await get(f"{base}/messenger/assets/app.js?v=old"))[1]["Cache-Control"] == "no-cache"
    status, headers, body = await get(f"{base}/messenger/assets/secrets.py")
    assert status == 404 and headers["Content-Type"].startswith("application/json")
    assert (await get(f"{base}/messenger/assets/..%2F..%2Fconfig.py"))[0] == 404


async def test_the_page_follows_the_prefixes(make_server):
    server = await make_server(messenger={"web_prefix": "/chat", "api_prefix": "/v1/chat", "site_name": "Acme <Chat>"})
    base = str(server.make_url("")).rstrip("/")
    status, _, body = await get(f"{base}/chat/join/x")
    page = body.decode()
    assert status == 200 and "/chat/assets/app.js?v=" in page and "<title>Acme &lt;Chat&gt;</title>" in page
    assert '"apiPrefix":"/v1/chat"' in page.replace("&quot;", '"')
    assert (await get(f"{base}/messenger"))[0] == 404


async def test_the_page_hands_the_calls_their_ice_servers(make_server):
    turn = {"urls": ["turn:turn.example.net:3478"], "username": "u", "credential": "p"}
    server = await make_server(messenger={"calling": {"ice_servers": [{"urls": ["stun:stun.example.net"]}, turn]}})
    page = (await get(str(server.make_url("/messenger"))))[2].decode().replace("&quot;", '"')
    assert '"iceServers":[{"urls":["stun:stun.example.net"]},{"urls":["turn:turn.example.net:3478"],"username":"u",' \
           '"credential":"p"}]' in page


async def test_turned_off_it_is_not_served_nor_documented(make_server):
    server = await make_server(messenger={"web_client": False})
    base = str(server.make_url("")).rstrip("/")
    status, headers, _ = await get(f"{base}/messenger")
    assert status == 404 and headers["Content-Type"].startswith("application/json")
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/api/openapi.json") as resp:
            paths = (await resp.json())["paths"]
    assert not any(path.startswith("/messenger") for path in paths) and "/api/messenger/threads" in paths


def test_the_first_load_stays_within_its_javascript_budget():
    gzipped = len(gzip.compress((BUNDLE_DIR / "app.js").read_bytes(), 9))
    print(f"web client bundle: {(BUNDLE_DIR / 'app.js').stat().st_size} bytes, {gzipped} gzipped")
    assert gzipped <= BUDGET_GZIPPED
