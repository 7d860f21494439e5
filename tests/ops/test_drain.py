"""Draining a node (what SIGTERM does before the app's cleanup): not ready, new work refused, every socket closed
so that its client reconnects elsewhere, and the rest of the cluster told at once."""
from __future__ import annotations

import asyncio

import pytest
import socketio

from messenger_gateway.core.services import SERVICES
from tests.support.factories import make_friends, make_thread
from tests.support.sockets import connect


@pytest.fixture
def database(sqlite_database):
    return sqlite_database


async def test_a_draining_node_refuses_new_work_and_closes_every_socket(api, svc, server, sockets):
    me = await api.register()
    on_websocket = await sockets(me.token)
    on_polling = await sockets(me.token, transports=["polling"])
    await on_websocket.subscribe(f"private-messenger.user.{me.id}")
    await asyncio.sleep(0.2)

    await svc.lifecycle.drain(timeout=5)

    (reason,) = (await on_websocket.wait_for("__disconnect__"))[0]
    # a lost transport, which Socket.IO clients reconnect after (a Socket.IO DISCONNECT would keep them away)
    assert reason == socketio.AsyncClient.reason.TRANSPORT_ERROR
    await on_polling.wait_for("__disconnect__")

    ready = await api.get("/ready")
    assert ready.status == 503 and ready.body["message"] == "The node is draining (shutting down)."
    health = await api.get("/health")
    assert health.status == 200 and health.body["status"] == "draining"
    refused = await api.get("/api/messenger")
    assert refused.status == 503 and refused.headers["Retry-After"] == "1"
    assert refused.body == {"message": "The server is shutting down. Retry on another node."}
    with pytest.raises(socketio.exceptions.ConnectionError):
        await connect(str(server.make_url("/")), me.token)


async def test_the_rest_of_the_cluster_sees_leaving_and_offline_at_once(two_nodes):
    node_a, node_b, api_a, api_b = two_nodes
    svc_a = node_a.app[SERVICES]
    leaver = await api_a.register()
    watcher = await api_b.register()
    await make_friends(svc_a, leaver.id, watcher.id)
    thread = await make_thread(svc_a, [leaver.id, watcher.id], group=True)
    presence = f"presence-messenger.thread.{thread}"
    private = f"private-messenger.user.{watcher.id}"

    on_b = await connect(str(node_b.make_url("/")), watcher.token)
    await on_b.subscribe(private)
    await on_b.subscribe(presence)
    await on_b.wait_for("presence:subscribed", presence)
    on_a = await connect(str(node_a.make_url("/")), leaver.token)
    await on_a.subscribe(presence)
    await on_b.wait_for("presence:joining", presence)
    (online,) = await on_b.wait_for("online.status", private)
    assert online[1]["provider_id"] == leaver.id and online[1]["online_status"] == 1

    started = asyncio.get_running_loop().time()
    await svc_a.lifecycle.drain(timeout=5)
    (leaving,) = await on_b.wait_for("presence:leaving", presence, timeout=3)
    assert leaving[1]["user_id"] == leaver.id
    events = await on_b.wait_for("online.status", private, count=2, timeout=3)
    assert events[1][1]["provider_id"] == leaver.id and events[1][1]["online_status"] == 0
    # long before the offline grace (15 s) or the dead-node timeout (20 s)
    assert asyncio.get_running_loop().time() - started < 3
    await on_a.wait_for("__disconnect__")
