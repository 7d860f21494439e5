"""The WebSocket transport: idle sockets hold no tasks of their own, pings keep them alive, silence ends them."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest

from messenger_gateway.gateway.server import GATEWAY

FAST_PINGS = {"gateway": {"clients": [{"app_id": "app1", "key": "key-one"}],
                          "ping_interval_seconds": 1, "ping_timeout_seconds": 1}}


def server_socket_tasks() -> list[str]:
    """Tasks running code of the server's Engine.IO sockets or of our transport (the clients' are in async_client)."""
    found = []
    for task in asyncio.all_tasks():
        code = getattr(task.get_coro(), "cr_code", None)
        if code is not None and code.co_filename.endswith(("engineio/async_socket.py",
                                                           "gateway/websocket_transport.py")):
            found.append(code.co_name)
    return found


@pytest.mark.parametrize("config_overrides", [FAST_PINGS])
@pytest.mark.parametrize("transports", [["websocket"], ["polling", "websocket"]])
async def test_idle_sockets_hold_no_task_and_stay_connected_across_pings(api, sockets, publish, subscribed, transports):
    socks = [await sockets(transports=transports) for _ in range(10)]
    for sock in socks:
        await sock.subscribe("idle-room")
    await subscribed("idle-room", 10)
    await asyncio.sleep(3.5)  # three ping cycles: every ping must have been answered
    assert server_socket_tasks() == []
    assert all(sock.client.connected for sock in socks)
    await publish("idle-room", "after-pings", {"n": 1})
    for sock in socks:
        assert await sock.wait_for("after-pings", "idle-room") == [("idle-room", {"n": 1})]
    assert server_socket_tasks() == []  # the writes went straight out, or a drain came and went


@pytest.mark.parametrize("config_overrides", [FAST_PINGS])
async def test_a_client_that_stops_answering_pings_is_closed(server, api, subscribed):
    url = str(server.make_url("/socket.io/?EIO=4&transport=websocket")).replace("http", "ws", 1)
    async with aiohttp.ClientSession() as http, http.ws_connect(url) as ws:
        opened = await ws.receive_str()
        assert opened.startswith("0{")
        await ws.send_str("40")
        assert (await ws.receive_str()).startswith("40{")
        await ws.send_str('42["subscribe",{"channel":"silent-room"}]')
        await subscribed("silent-room")
        started = asyncio.get_running_loop().time()
        pings = 0
        while True:  # read, never answer: a ping after one interval, then closed after the timeout
            message = await asyncio.wait_for(ws.receive(), 10)
            if message.type is not aiohttp.WSMsgType.TEXT:
                break
            pings += message.data == "2"
        took = asyncio.get_running_loop().time() - started
    assert pings == 1
    assert 1.5 <= took <= 6, took
    reply = await api.get("/apps/app1/channels/silent-room", headers={"Authorization": "Bearer key-one"})
    assert reply.body["subscription_count"] == 0
    assert all(sock.closed for sock in server.app[GATEWAY].sio.eio.sockets.values())
