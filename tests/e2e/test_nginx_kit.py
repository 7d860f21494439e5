"""The deploy kit's nginx config (deploy/nginx/messenger.conf, Debian's nginx) in front of two nodes on Redis:
a laravel-echo client gets events through it over WebSocket and over long-polling, wherever they were published."""
from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import aiohttp
import orjson
import pytest

from tests.support.http import Api
from tests.support.nodes import free_port
from tests.support.debian import debian_tool

ROOT = Path(__file__).resolve().parents[2]
KIT = ROOT / "deploy" / "nginx" / "messenger.conf"
KEY = {"Authorization": "Bearer key-one"}


def nginx_binary() -> str:
    return debian_tool(("nginx", "/usr/sbin/nginx"), "nginx-light")


@pytest.fixture
def config_overrides():
    return {}


@pytest.fixture
def redis_settings(redis_settings):
    return {**redis_settings, "server": {"trusted_proxies": ["127.0.0.1"]},
            "gateway": {**redis_settings["gateway"], "clients": [{"app_id": "app1", "key": "key-one"}]}}


def render(kit: str, upstreams: list[str], port: int, workdir: Path) -> Path:
    """The kit's config with the test's addresses, inside a minimal nginx.conf that keeps everything in workdir."""
    servers = "".join(f"    server {address} max_fails=3 fail_timeout=5s;\n" for address in upstreams)
    site, count = re.subn(r"(?m)^    server node\d:6001[^\n]*\n", "", kit)
    assert count == 2, "the kit's upstream block changed: update this test"
    site = site.replace("    ip_hash;\n", "    ip_hash;\n" + servers)
    site, count = re.subn(r"(?m)^    listen 80;", f"    listen 127.0.0.1:{port};", site)
    assert count == 1
    (workdir / "messenger.conf").write_text(site)
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = workdir / "nginx.conf"
    conf.write_text(f"""{user}worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {workdir}/body;
    proxy_temp_path {workdir}/proxy;
    fastcgi_temp_path {workdir}/fastcgi;
    uwsgi_temp_path {workdir}/uwsgi;
    scgi_temp_path {workdir}/scgi;
    include {workdir}/messenger.conf;
}}
""")
    return conf


async def proxy_answers(http: aiohttp.ClientSession, public: str, attempts: int = 100) -> None:
    """Wait until nginx (just started) answers /health through to a node."""
    for _ in range(attempts):
        try:
            async with http.get(f"{public}/health") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)


async def run_listener(node_client: Path, url: str, token: str, user_id: str, transport: str):
    proc = await asyncio.create_subprocess_exec(
        shutil.which("node") or "node", str(node_client.parent / "echo_listener.mjs"), url, token, user_id, transport,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    return proc


async def next_line(proc, kind: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"the listener never printed {kind}"
        raw = await asyncio.wait_for(proc.stdout.readline(), remaining)
        assert raw, f"the listener exited: {(await proc.stderr.read()).decode()[-2000:]}"
        line = orjson.loads(raw)
        if line["type"] == kind:
            return line
        assert line["type"] != "connect_error", line


async def test_laravel_echo_through_the_kit_nginx_over_websocket_and_long_polling(two_nodes, node_client, tmp_path):
    nginx = nginx_binary()
    node_a, node_b, api_a, api_b = two_nodes
    port = free_port()
    upstreams = [f"127.0.0.1:{node.port}" for node in (node_a, node_b)]
    conf = render(KIT.read_text(), upstreams, port, tmp_path)
    proc = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        public = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as http:
            api = Api(public, http)
            await proxy_answers(http, public)
            info = await api.get("/api/messenger")
            assert info.status == 200 and info.body["socketEndpoint"] == public  # the proxy's address, not a node's
            assert (await api.get("/metrics")).status == 403  # not for the public
            user = await api.register(email=f"kit-{uuid.uuid4().hex[:8]}@example.com")
            for transport in ("websocket", "polling"):
                listener = await run_listener(node_client, public, user.token, user.id, transport)
                try:
                    connected = await next_line(listener, "connected")
                    assert connected["transport"] == transport
                    channel = f"private-messenger.user.{user.id}"
                    for _ in range(100):  # until the subscription is known cluster-wide
                        reply = await api_a.get(f"/apps/app1/channels/{channel}", headers=KEY)
                        if reply.body.get("subscription_count") == 1:
                            break
                        await asyncio.sleep(0.05)
                    for n, node_api in enumerate((api_a, api_b)):  # published on either node, delivered anyway
                        sent = await node_api.post("/apps/app1/events", headers=KEY, json={
                            "name": "proxied", "channel": channel, "data": {"n": n, "transport": transport}})
                        assert sent.status == 200
                        got = await next_line(listener, "proxied")
                        assert got["data"] == {"n": n, "transport": transport}
                finally:
                    listener.stdin.close()
                    try:
                        await asyncio.wait_for(listener.wait(), 5)
                    except asyncio.TimeoutError:
                        listener.kill()
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
