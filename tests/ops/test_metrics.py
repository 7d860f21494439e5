"""/metrics in the Prometheus text format: what a node did, counted per event and per request."""
from __future__ import annotations

import asyncio
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.sockets import connect

KEY = {"Authorization": "Bearer key-one"}


@pytest.fixture
def database(sqlite_database):
    return sqlite_database


@pytest.fixture
def config_overrides():
    return {"gateway": {"clients": [{"app_id": "app1", "key": "key-one"}]}}


async def scrape(api) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    reply = await api.get("/metrics")
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(reply.raw.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


async def test_metrics_count_sockets_subscriptions_events_heartbeats_and_requests(api, sockets):
    me = await api.register()
    sock = await sockets(me.token)
    await sock.subscribe(f"private-messenger.user.{me.id}")
    await sock.subscribe("news")
    await asyncio.sleep(0.2)  # subscribe has no acknowledgement
    before = await scrape(api)
    assert before[("messenger_sockets_connected", ())] == 1
    assert before[("messenger_subscriptions", (("kind", "private"),))] == 1
    assert before[("messenger_subscriptions", (("kind", "public"),))] == 1
    assert before[("messenger_subscriptions", (("kind", "presence"),))] == 0

    for _ in range(3):
        assert (await api.post("/apps/app1/events", headers=KEY,
                               json={"name": "Tick", "channel": "news", "data": {"n": 1}})).status == 200
    await sock.wait_for("Tick", "news", count=3)
    assert (await api.post("/api/messenger/heartbeat", me.token, json={"away": False})).status == 200
    assert (await api.get("/api/messenger/settings", "not-a-token")).status == 401

    after = await scrape(api)
    assert after[("messenger_events_published_total", ())] - before[("messenger_events_published_total", ())] >= 3
    assert after[("messenger_deliveries_total", ())] - before[("messenger_deliveries_total", ())] >= 3
    assert after[("messenger_heartbeats_total", ())] == 1
    assert after[("messenger_status_changes_total", (("status", "ONLINE"),))] >= 1
    assert after[("messenger_bus_publish_failures_total", ())] == 0
    hb = (("method", "POST"), ("route", "/api/messenger/heartbeat"), ("status", "200"))
    assert after[("messenger_http_requests_total", hb)] == 1
    denied = (("method", "GET"), ("route", "/api/messenger/settings"), ("status", "401"))
    assert after[("messenger_http_requests_total", denied)] == 1
    events = (("method", "POST"), ("route", "/apps/{app_id}/events"), ("status", "200"))
    assert after[("messenger_http_requests_total", events)] == 3
    duration = (("method", "POST"), ("route", "/api/messenger/heartbeat"))
    assert after[("messenger_http_request_duration_seconds_count", duration)] == 1
    assert after[("messenger_db_pool_connections", (("state", "size"),))] == 1
    assert after[("messenger_draining", ())] == 0


@pytest.fixture
def redis_settings(redis_settings):
    return {**redis_settings, "gateway": {**redis_settings["gateway"],
                                          "clients": [{"app_id": "app1", "key": "key-one"}]}}


async def test_the_bus_lag_is_measured_on_the_node_that_receives(two_nodes):
    node_a, node_b, api_a, api_b = two_nodes
    user = await api_b.register()
    listener = await connect(str(node_b.make_url("/")), user.token)
    await listener.subscribe("news")
    await asyncio.sleep(0.2)
    for n in range(4):
        assert (await api_a.post("/apps/app1/events", headers=KEY,
                                 json={"name": "Tick", "channel": "news", "data": {"n": n}})).status == 200
    await listener.wait_for("Tick", "news", count=4)
    on_b = await scrape(api_b)
    assert on_b[("messenger_bus_lag_seconds_count", ())] >= 4
    assert 0 < on_b[("messenger_bus_lag_seconds_sum", ())] < 4 * 1.0
    on_a = await scrape(api_a)
    assert on_a[("messenger_events_published_total", ())] >= 4 and on_a[("messenger_deliveries_total", ())] == 0


async def test_a_stalled_event_loop_shows_in_the_metrics(api):
    before = await scrape(api)
    assert before[("messenger_event_loop_stall_max_seconds", ())] < 0.1
    time.sleep(0.15)  # a synchronous call holding the loop, as a long garbage collection would
    await asyncio.sleep(0.1)  # the watch's next tick notices
    after = await scrape(api)
    assert after[("messenger_event_loop_stall_max_seconds", ())] >= 0.1
    assert after[("messenger_event_loop_stalls_total", ())] >= before[("messenger_event_loop_stalls_total", ())] + 1
