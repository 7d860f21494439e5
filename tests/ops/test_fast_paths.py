"""The two fast paths that read library internals are really taken: if a release of python-engineio, aiohttp or
aiosqlite renames what they read, they fall back silently to the slow path, and these tests fail."""
from __future__ import annotations

import asyncio

import pytest

from messenger_gateway.storage.sqlite_driver import FastConnection


@pytest.fixture
def database(sqlite_database):
    return sqlite_database


async def test_fan_out_writes_frames_straight_to_idle_websockets(api, svc, sockets):
    me = await api.register()
    receivers = [await sockets(me.token) for _ in range(3)]
    for sock in receivers:
        await sock.subscribe("news")
    await asyncio.sleep(0.2)
    delivery = svc.bus.delivery
    before_fast, before_all = delivery.fast_writes, delivery.delivered
    for n in range(5):
        await svc.bus.publish(["news"], "Tick", {"n": n})
        await asyncio.sleep(0.05)  # idle writers between publishes
    for sock in receivers:
        events = await sock.wait_for("Tick", "news", count=5)
        assert [e[1]["n"] for e in events] == list(range(5))
    assert delivery.delivered - before_all == 15
    assert delivery.fast_writes - before_fast == 15, "the fan-out fast path was not taken (gateway/delivery.py)"


async def test_quick_sqlite_statements_run_inline_on_the_event_loop(api, svc):
    me = await api.register()
    for _ in range(5):
        assert (await api.get("/api/messenger/settings", me.token)).status == 200
    async with svc.db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
    assert isinstance(driver, FastConnection), "storage/sqlite_driver.py is not the connection in use"
    assert driver.inline_statements > 0, "no statement ran inline (storage/sqlite_driver.py fast path)"


async def test_a_big_fan_out_spans_loop_turns_and_keeps_each_sockets_order(api, svc, sockets, monkeypatch):
    """With no time per turn and the clock read every 2 sockets, 8 sockets in one channel take four turns per event;
    events to it and to a small channel, published back to back, still reach every socket complete and in publish
    order, and the event loop runs other work between the turns."""
    from messenger_gateway.gateway import delivery as delivery_module
    from messenger_gateway.gateway import websocket_transport

    monkeypatch.setattr(websocket_transport, "TURN_SECONDS", 0.0)
    monkeypatch.setattr(delivery_module, "CLOCK_MASK", 1)
    me = await api.register()
    receivers = [await sockets(me.token) for _ in range(8)]
    for sock in receivers:
        await sock.subscribe("crowd")
    await receivers[0].subscribe("pair")
    await asyncio.sleep(0.2)
    delivery = svc.bus.delivery
    turns_seen = 0

    async def count_turns() -> None:
        nonlocal turns_seen
        while True:
            await asyncio.sleep(0)
            turns_seen += delivery.backlog > 0

    counter = asyncio.ensure_future(count_turns())
    for n in range(6):
        await svc.bus.publish(["crowd"], "Tick", {"n": n})
        await svc.bus.publish(["pair"], "Tock", {"n": n})
    for sock in receivers:
        events = await sock.wait_for("Tick", "crowd", count=6)
        assert [e[1]["n"] for e in events] == list(range(6))
    first = receivers[0]
    await first.wait_for("Tock", "pair", count=6)
    ticks_and_tocks = [(name, args[1]["n"]) for name, args in first.events if name in ("Tick", "Tock")]
    assert ticks_and_tocks == [(name, n) for n in range(6) for name in ("Tick", "Tock")]
    counter.cancel()
    assert turns_seen >= 2, "the fan-out did not continue on later turns"
    assert delivery.backlog == 0
