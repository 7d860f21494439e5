"""The broadcast API against malformed or hostile input: clear JSON errors, never a 500, no broken clients."""
from __future__ import annotations

import time

import orjson

from tests.gateway.test_broadcast_api import signed_path

KEY = {"Authorization": "Bearer key-one"}


async def test_malformed_signature_parameters_are_refused_not_crashed_on(api):
    body = orjson.dumps({"name": "x", "data": {}, "channel": "c"})
    good = signed_path("POST", "/apps/signed/events", body)
    cases = [
        (good.replace("auth_signature=", "auth_signature=%C3%A9"), "Invalid signature."),  # non-ASCII
        (good.replace(f"auth_timestamp={int(time.time())}", "auth_timestamp=" + "9" * 400), "Invalid auth_timestamp."),
        (good.replace("body_md5=", "body_md5=%E2%82%AC"), "Invalid body_md5."),
    ]
    for path, message in cases:
        reply = await api.post(path, raw=body, headers={"Content-Type": "application/json"})
        assert reply.status == 401 and reply.body["error"] == reply.body["message"] == message, (path, reply)


async def test_reserved_socket_io_event_names_are_not_relayed(api, sockets):
    listener = await sockets()
    await listener.subscribe("orders")
    for name in ("connect", "connect_error", "disconnect", "disconnecting", "newListener"):
        reply = await api.post("/apps/app1/events", headers=KEY, json={"name": name, "channel": "orders", "data": {}})
        assert reply.status == 400 and reply.body["message"] == f"The event name {name} is reserved by Socket.IO"
    await listener.nothing("connect_error")
    assert (await api.post("/apps/app1/events", headers=KEY,
                           json={"name": "OrderShipped", "channel": "orders", "data": {"id": 1}})).status == 200
    await listener.wait_for("OrderShipped", "orders")


async def test_a_page_number_past_64_bits_is_an_empty_page(api):
    me = await api.register("Paging Person")
    reply = await api.get(f"/api/messenger/search/paging?page={'9' * 40}", me.token)
    assert reply.status == 200 and reply.body["data"] == []
