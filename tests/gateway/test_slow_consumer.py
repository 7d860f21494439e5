"""A socket that never reads: what waits for it is bounded, it is closed, and everyone else keeps receiving."""
from __future__ import annotations

import asyncio

import pytest

from bench.raw_socket import never_reading_socket
from tests.gateway.conftest import BROADCAST_CLIENTS
from tests.support.sockets import connect

KEY = {"Authorization": "Bearer key-one"}


@pytest.fixture
def config_overrides():  # the gateway conftest's broadcast clients, and a small bound so the test stays quick
    return {"gateway": {"clients": BROADCAST_CLIENTS, "limits": {"max_queued_kb": 256}}}


async def test_a_socket_that_never_reads_is_closed_and_the_others_keep_receiving(api, svc, server):
    reader, writer = await never_reading_socket(server.host, server.port, "news")
    reading = await connect(str(server.make_url("/")))
    await reading.subscribe("news")
    await asyncio.sleep(0.3)
    assert len(svc.bus.delivery.sio.eio.sockets) == 2
    payload = {"text": "x" * 20_000}
    for n in range(400):  # 8 MB to each socket: more than the kernel buffers plus the 256 KB bound
        assert (await api.post("/apps/app1/events", headers=KEY,
                               json={"name": "Big", "channel": "news", "data": {**payload, "n": n}})).status == 200
        await asyncio.sleep(0.005)
    got = await reading.wait_for("Big", "news", count=400, timeout=30)
    assert [e[1]["n"] for e in got] == list(range(400))  # the reading client got everything, in order
    for _ in range(100):
        if svc.bus.delivery.evicted:
            break
        await asyncio.sleep(0.05)
    assert svc.bus.delivery.evicted == 1
    await asyncio.sleep(0.3)
    gateway_conns = [s for s in svc.bus.delivery.sio.eio.sockets.values() if not s.closed]
    assert len(gateway_conns) == 1  # only the reading one is left
    metrics = await api.get("/metrics")
    assert b"messenger_slow_sockets_closed_total 1.0" in metrics.raw
    writer.close()
