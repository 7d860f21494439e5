"""The recovery add-on (web/src/echo-recovery.js) on laravel-echo 2.5 + socket.io-client 4.8, run by node: a
connection cut while 50 events are published is followed, after socket.io's own reconnect and Echo's
re-subscribe, by all 50 in order, exactly once; on one node and across two nodes on Redis."""
from __future__ import annotations

import asyncio
import shutil
import subprocess

import aiohttp
import pytest

from messenger_gateway.core.services import SERVICES
from tests.e2e.test_laravel_echo import KEY, NodeEcho
from tests.e2e.test_nginx_kit import KIT, nginx_binary, proxy_answers, render
from tests.support.http import Api
from tests.support.nodes import free_port

EVENT = "Tick"


async def start_client(node_client, url: str, token: str, channel: str) -> NodeEcho:
    proc = await asyncio.create_subprocess_exec(
        shutil.which("node") or "node", str(node_client.parent / "recovery_client.mjs"), url, token, channel, EVENT,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    return NodeEcho(proc)


async def publish(http: aiohttp.ClientSession, base: str, channel: str, numbers: range) -> None:
    for n in numbers:
        async with http.post(f"{base}/apps/app1/events", headers=KEY,
                             json={"name": EVENT, "channel": channel, "data": {"n": n}}) as resp:
            assert resp.status == 200, await resp.text()


async def cut_and_recover(echo: NodeEcho, http: aiohttp.ClientSession, publish_on: str, channel: str) -> None:
    await echo.expect("connected")
    await echo.expect("positioned", channel=channel)
    await publish(http, publish_on, channel, range(0, 1))
    assert (await echo.expect("event"))["data"] == {"n": 0}
    await echo.send(cmd="drop")
    await echo.expect("disconnected")
    await publish(http, publish_on, channel, range(1, 51))  # socket.io waits 3 s before reconnecting
    await echo.expect("connected")
    recovered = await echo.expect("recovered", channel=channel)
    # what it missed came before the notice (expect() kept the lines it passed over, in order)
    assert [line["data"]["n"] for line in echo.lines if line["type"] == "event"] == list(range(1, 51))
    echo.lines.clear()
    await publish(http, publish_on, channel, range(51, 52))
    assert (await echo.expect("event"))["data"] == {"n": 51}
    assert recovered["at"]["position"] > 0
    await asyncio.sleep(0.3)
    assert not [line for line in echo.lines if line["type"] == "event"], "an event came twice"


async def test_the_add_on_recovers_what_a_cut_connection_missed(server, api, node_client):
    alice = await api.register("Alice")
    channel = f"private-messenger.user.{alice.id}"
    base = str(server.make_url("")).rstrip("/")
    echo = await start_client(node_client, base, alice.token, channel)
    try:
        async with aiohttp.ClientSession() as http:
            await cut_and_recover(echo, http, base, channel)
    finally:
        await echo.send(cmd="exit")
        await echo.proc.wait()


@pytest.fixture
def redis_settings(redis_settings):
    return {**redis_settings, "gateway": {**redis_settings["gateway"], "clients": [{"app_id": "app1", "key": "key-one"}]}}


async def test_across_two_nodes_it_recovers_from_the_shared_history(make_server, redis_settings, node_client):
    node_a, node_b = await make_server(**redis_settings), await make_server(**redis_settings)
    async with aiohttp.ClientSession() as http:
        alice = await Api(str(node_a.make_url("/")), http).register("Alice")
        channel = f"private-messenger.user.{alice.id}"
        echo = await start_client(node_client, str(node_b.make_url("")).rstrip("/"), alice.token, channel)
        try:
            await cut_and_recover(echo, http, str(node_a.make_url("")).rstrip("/"), channel)  # published elsewhere
        finally:
            await echo.send(cmd="exit")
            await echo.proc.wait()


async def test_a_node_going_away_behind_the_load_balancer_loses_nothing_for_its_clients(
        make_server, redis_settings, node_client, tmp_path):
    nodes = [await make_server(**redis_settings, server={"trusted_proxies": ["127.0.0.1"]}) for _ in range(2)]
    port = free_port()
    conf = render(KIT.read_text(), [f"127.0.0.1:{node.port}" for node in nodes], port, tmp_path)
    proxy = subprocess.Popen([nginx_binary(), "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    public = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            await proxy_answers(http, public)
            alice = await Api(public, http).register("Alice")
            channel = f"private-messenger.user.{alice.id}"
            echo = await start_client(node_client, public, alice.token, channel)
            try:
                await echo.expect("connected")
                await echo.expect("positioned", channel=channel)
                [serving] = [n for n in nodes if channel in n.app[SERVICES].bus.delivery.positioned]
                [other] = [n for n in nodes if n is not serving]
                other_url = str(other.make_url("")).rstrip("/")
                await publish(http, other_url, channel, range(0, 1))
                assert (await echo.expect("event"))["data"] == {"n": 0}
                await serving.close()  # Alice's node goes away under her
                await echo.expect("disconnected")
                await publish(http, other_url, channel, range(1, 51))
                await echo.expect("connected", timeout=15)  # through nginx, to the node that is left
                await echo.expect("recovered", channel=channel)
                assert [line["data"]["n"] for line in echo.lines if line["type"] == "event"] == list(range(1, 51))
            finally:
                await echo.send(cmd="exit")
                await echo.proc.wait()
    finally:
        proxy.terminate()
        proxy.wait(5)
