"""Never miss an event: a client that asks for positions gets them with every event of its channel, and after a
reconnect gets what it missed, in order, exactly once, before new events; on one node and on two nodes with Redis."""
from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from tests.messaging.helpers import private_thread
from tests.support.http import Api, User
from tests.support.sockets import connect

API = "/api/messenger"


def channel_of(user: User) -> str:
    return f"private-messenger.user.{user.id}"


async def send(api: Api, sender: User, thread_id: str, count: int, clock, start: int = 0) -> None:
    for n in range(start, start + count):
        clock.advance(1)
        reply = await api.post(f"{API}/threads/{thread_id}/messages", sender.token, json={"message": f"m{n}"})
        assert reply.status == 201, reply


async def positioned(url: str, user: User) -> tuple[Any, dict]:
    """A socket of `user` on their private channel with positions, and where the channel stood."""
    socket = await connect(url, user.token)
    await socket.subscribe(channel_of(user), user.token, positions=True)
    [(_, start)] = await socket.wait_for("positioned", channel_of(user))
    return socket, start


def texts(events: list) -> list[str]:
    return [args[1]["body"] for args in events]


async def test_a_positioned_client_gets_what_it_missed_in_order_exactly_once(api, sockets, clock):
    alice, bob = await api.register("Alice"), await api.register("Bob")
    thread_id = (await private_thread(api, bob, alice, "first"))["id"]
    plain = await sockets(alice.token)
    await plain.subscribe(channel_of(alice), alice.token)
    first = await sockets(alice.token)
    await first.subscribe(channel_of(alice), alice.token, positions=True)
    [(_, start)] = await first.wait_for("positioned", channel_of(alice))
    await send(api, bob, thread_id, 1, clock)
    [event] = await first.wait_for("new.message", channel_of(alice))
    assert event[2] == {"epoch": start["epoch"], "position": start["position"] + 1}
    [plain_event] = await plain.wait_for("new.message", channel_of(alice))
    assert len(plain_event) == 2  # a client that did not ask sees Echo's (channel, data) as ever
    await first.close()

    await send(api, bob, thread_id, 50, clock, start=1)  # while Alice is away
    again = await sockets(alice.token)
    await again.subscribe(channel_of(alice), alice.token, since=event[2])
    [(_, recovered)] = await again.wait_for("recovered", channel_of(alice))
    missed = again.received("new.message", channel_of(alice))
    assert texts(missed) == [f"m{n}" for n in range(1, 51)]
    assert [args[2]["position"] for args in missed] == list(range(event[2]["position"] + 1, recovered["position"] + 1))
    names = [name for name, _ in again.events if name in ("new.message", "recovered")]
    assert names == ["new.message"] * 50 + ["recovered"]  # what it missed, then the notice
    await send(api, bob, thread_id, 1, clock, start=51)
    later = await again.wait_for("new.message", channel_of(alice), count=51)
    assert later[-1][1]["body"] == "m51" and later[-1][2]["position"] == recovered["position"] + 1


async def test_a_client_away_longer_than_the_window_is_told_so(make_server, clock):
    server = await make_server(history={"size": 10})
    async with aiohttp.ClientSession() as http:
        api = Api(str(server.make_url("/")), http)
        alice, bob = await api.register("Alice"), await api.register("Bob")
        thread_id = (await private_thread(api, bob, alice, "first"))["id"]
        first, start = await positioned(str(server.make_url("/")), alice)
        await first.close()
        await send(api, bob, thread_id, 11, clock)
        again = await connect(str(server.make_url("/")), alice.token)
        await again.subscribe(channel_of(alice), alice.token, since=start)
        [(_, failed)] = await again.wait_for("recovery_failed", channel_of(alice))
        assert failed["epoch"] == start["epoch"] and failed["position"] == start["position"] + 11
        assert again.received("new.message") == []
        # a wrong epoch (the history was lost meanwhile) is no starting point either
        other = await connect(str(server.make_url("/")), alice.token)
        await other.subscribe(channel_of(alice), alice.token, since={"epoch": "gone", "position": 3})
        await other.wait_for("recovery_failed", channel_of(alice))


@pytest.fixture
def redis_nodes(make_server, redis_settings):
    async def start():
        return await make_server(**redis_settings), await make_server(**redis_settings)
    return start


async def test_across_two_nodes_the_history_is_the_same_everywhere(redis_nodes, clock):
    node_a, node_b = await redis_nodes()
    async with aiohttp.ClientSession() as http:
        api_a = Api(str(node_a.make_url("/")), http)
        alice, bob = await api_a.register("Alice"), await api_a.register("Bob")
        thread_id = (await private_thread(api_a, bob, alice, "first"))["id"]
        on_b, start = await positioned(str(node_b.make_url("/")), alice)
        await send(api_a, bob, thread_id, 1, clock)
        [event] = await on_b.wait_for("new.message", channel_of(alice))
        assert event[2] == {"epoch": start["epoch"], "position": start["position"] + 1}  # numbered by node A
        await on_b.close()
        await node_b.close()  # Alice's node goes away; she comes back through the other one

        await send(api_a, bob, thread_id, 50, clock, start=1)
        on_a = await connect(str(node_a.make_url("/")), alice.token)
        await on_a.subscribe(channel_of(alice), alice.token, since=event[2])
        await on_a.wait_for("recovered", channel_of(alice))
        assert texts(on_a.received("new.message", channel_of(alice))) == [f"m{n}" for n in range(1, 51)]


@pytest.mark.parametrize("nodes", [1, 2], ids=["one node", "two nodes on Redis"])
async def test_a_client_away_past_the_window_catches_up_over_rest(make_server, clock, request, nodes):
    settings: dict[str, Any] = {"history": {"size": 10},
                                "messenger": {"collections": {"messages_index_count": 20, "messages_page_count": 20}}}
    if nodes == 2:
        settings.update(request.getfixturevalue("redis_settings"))
    server = await make_server(**settings)
    sockets_on = await make_server(**settings) if nodes == 2 else server  # Alice's node; the writes go to `server`
    async with aiohttp.ClientSession() as http:
        api = Api(str(server.make_url("/")), http)
        alice, bob = await api.register("Alice"), await api.register("Bob")
        thread_id = (await private_thread(api, bob, alice, "first"))["id"]
        other_id = (await private_thread(api, bob, await api.register("Carol"), "elsewhere"))["id"]
        quiet_id = (await private_thread(api, alice, await api.register("Dan"), "quiet"))["id"]
        await send(api, bob, thread_id, 2, clock)
        listed = await api.get(f"{API}/threads/{thread_id}/messages", alice.token)
        seen = listed.body["data"][0]
        left_at = seen["created_at"]  # the last thing Alice saw before going away
        socket, start = await positioned(str(sockets_on.make_url("/")), alice)
        await socket.close()

        await send(api, bob, thread_id, 45, clock, start=2)
        clock.advance(1)
        edited = await api.put(f"{API}/threads/{thread_id}/messages/{seen['id']}", bob.token, json={"message": "m1!"})
        assert edited.status == 200, edited
        deleted = listed.body["data"][1]
        assert (await api.delete(f"{API}/threads/{thread_id}/messages/{deleted['id']}", bob.token)).status == 200
        await send(api, bob, other_id, 1, clock)

        again = await connect(str(sockets_on.make_url("/")), alice.token)
        await again.subscribe(channel_of(alice), alice.token, since=start)
        await again.wait_for("recovery_failed", channel_of(alice))

        # what changed: the threads with activity since, then each one's new and edited messages, page by page
        threads = await api.get(f"{API}/threads?since={left_at}", alice.token)
        assert threads.status == 200 and [t["id"] for t in threads.body["data"]] == [thread_id]
        assert quiet_id not in [t["id"] for t in threads.body["data"]]
        bodies: list[str] = []
        path = f"{API}/threads/{thread_id}/messages?since={left_at}"
        deleted_ids = None
        while path:
            page = await api.get(path, alice.token)
            assert page.status == 200, page
            bodies += [m["body"] for m in page.body["data"]]
            deleted_ids = page.body["meta"]["deleted"] if deleted_ids is None else deleted_ids
            path = page.body["meta"]["next_page_route"]
            assert path is None or "since=" in path
        assert sorted(bodies, key=lambda b: int(b.strip("m!"))) == ["m1!"] + [f"m{n}" for n in range(2, 47)]
        assert deleted_ids == [deleted["id"]]
        bad = await api.get(f"{API}/threads/{thread_id}/messages?since=yesterday", alice.token)
        assert bad.status == 422 and "since" in bad.body["errors"]
