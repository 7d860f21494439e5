"""The activity checker (driven by the injected clock) and WebRTC signalling on the call channel."""
from __future__ import annotations

import asyncio

import aiohttp
import pytest

from messenger_gateway.core.services import SERVICES
from tests.messaging.helpers import API, group, listen
from tests.support.http import Api
from tests.support.sockets import connect

CALLING = {"check_interval_seconds": 0.1, "heartbeat_timeout_seconds": 60, "ring_timeout_seconds": 45}


@pytest.fixture
def config_overrides():
    return {"messenger": {"calling": CALLING}}


async def start_call(api, owner, thread) -> tuple[dict, str]:
    reply = await api.post(f"{API}/threads/{thread['id']}/calls", owner.token, json={})
    assert reply.status == 201, reply
    return reply.body, f"{API}/threads/{thread['id']}/calls/{reply.body['id']}"


async def test_stale_participants_are_dropped_and_empty_calls_end(api, svc, sockets, clock):
    owner = await api.register("Owner")
    member = await api.register("Member")
    g = await group(api, svc, owner, [member])
    owner_sock = await listen(sockets, owner)
    member_sock = await listen(sockets, member)
    call, base = await start_call(api, owner, g)
    await api.post(f"{base}/join", member.token)
    clock.advance(30)
    assert (await api.get(f"{base}/heartbeat", owner.token)).status == 200
    clock.advance(31)  # the member's last beat is 61 s old, the owner's 31 s
    (left,) = await member_sock.wait_for("left.call")
    assert left[1]["id"] == call["id"]
    await owner_sock.nothing("left.call")
    members = {m["owner_id"]: m for m in (await api.get(f"{base}/participants", owner.token)).body}
    assert members[member.id]["left_call"] is not None and members[owner.id]["left_call"] is None
    assert (await api.get(base, owner.token)).body["active"] is True
    clock.advance(61)  # now the owner has stopped beating too: the last one out ends the call
    (left_owner,) = await owner_sock.wait_for("left.call")
    for sock in (owner_sock, member_sock):
        assert (await sock.wait_for("call.ended"))[0][1]["id"] == call["id"]
    assert (await api.get(f"{API}/active-calls", owner.token)).body == []
    assert (await api.post(f"{API}/heartbeat", member.token, json={"away": False})).body["active_calls_count"] == 0


async def test_an_unanswered_call_tells_the_caller_and_ends(api, svc, sockets, clock):
    owner = await api.register()
    member = await api.register()
    g = await group(api, svc, owner, [member])
    owner_sock = await listen(sockets, owner)
    member_sock = await listen(sockets, member)
    call, base = await start_call(api, owner, g)
    clock.advance(44)
    await owner_sock.nothing("call.unanswered")
    clock.advance(2)
    (unanswered,) = await owner_sock.wait_for("call.unanswered")
    assert unanswered[1]["id"] == call["id"]
    await member_sock.nothing("call.unanswered")
    assert (await member_sock.wait_for("call.ended"))[0][1]["id"] == call["id"]
    assert (await api.get(base, owner.token)).body["active"] is False


async def test_signalling_reaches_only_the_named_participant(api, svc, sockets):
    owner = await api.register("Owner")
    ann = await api.register("Ann")
    ben = await api.register("Ben")
    nosy = await api.register("Nosy")
    g = await group(api, svc, owner, [ann, ben, nosy])
    call, base = await start_call(api, owner, g)
    for user in (ann, ben):
        assert (await api.post(f"{base}/join", user.token)).status == 201
    channel = f"presence-messenger.call.{call['id']}.thread.{g['id']}"
    owner_sock = await listen(sockets, owner, channel)
    ann_sock = await listen(sockets, ann, channel)
    ben_sock = await listen(sockets, ben, channel)
    nosy_sock = await listen(sockets, nosy, channel)  # in the thread, but never joined the call
    assert (await nosy_sock.wait_for("subscription_error"))[0] == (channel, 403)

    offer = {"to": ann.id, "type": "offer", "payload": {"sdp": "v=0 fake"}}
    await owner_sock.whisper(channel, "signal", offer)
    (got,) = await ann_sock.wait_for("client-signal", channel)
    assert got[1] == {**offer, "from": owner.id}
    await ann_sock.whisper(channel, "signal", {"to": owner.id, "type": "answer", "payload": {"sdp": "v=0 a"},
                                               "from": ben.id})  # a forged sender is overwritten
    (answer,) = await owner_sock.wait_for("client-signal", channel)
    assert answer[1]["from"] == ann.id and answer[1]["type"] == "answer"
    await ben_sock.nothing("client-signal")
    await nosy_sock.whisper(channel, "signal", {"to": owner.id, "type": "candidate", "payload": {}})
    await asyncio.sleep(0.3)
    assert len(owner_sock.received("client-signal")) == 1  # the outsider's whisper went nowhere
    await owner_sock.whisper(channel, "signal", {"to": ann.id, "type": "bogus"})
    (error,) = await owner_sock.wait_for("whisper_error")
    assert error[0] == channel and error[1]["status"] == 422
    # leaving the call takes the socket off the channel: no more signalling
    assert (await api.post(f"{base}/leave", ann.token)).status == 200
    await owner_sock.wait_for("presence:leaving", channel)
    await owner_sock.whisper(channel, "signal", {"to": ann.id, "type": "candidate", "payload": {}})
    await asyncio.sleep(0.3)
    assert len(ann_sock.received("client-signal")) == 1  # only the first offer ever reached her


async def test_the_checker_acts_once_per_cluster(make_server, redis_settings, clock):
    settings = {**redis_settings, "messenger": {"calling": CALLING}}
    node_a = await make_server(**settings)
    node_b = await make_server(**settings)
    async with aiohttp.ClientSession() as http:
        api_a = Api(str(node_a.make_url("/")), http)
        api_b = Api(str(node_b.make_url("/")), http)
        owner = await api_a.register("Owner")
        member = await api_a.register("Member")
        g = await group(api_a, node_a.app[SERVICES], owner, [member])
        sock = await connect(str(node_b.make_url("/")), owner.token)  # the caller listens on the other node
        await sock.subscribe(f"private-messenger.user.{owner.id}")
        await asyncio.sleep(0.2)
        call, base = await start_call(api_a, owner, g)
        clock.advance(46)
        await sock.wait_for("call.unanswered")
        await sock.wait_for("call.ended")
        await asyncio.sleep(0.5)  # several more ticks on both nodes
        assert len(sock.received("call.unanswered")) == 1 and len(sock.received("call.ended")) == 1
        logs = (await api_b.get(f"{API}/threads/{g['id']}/logs", owner.token)).body["data"]
        assert [m["type"] for m in logs].count(90) == 1


async def test_counters_cached_on_one_node_follow_changes_made_on_another(two_nodes):
    node_a, node_b, api_a, api_b = two_nodes
    owner = await api_a.register()
    member = await api_a.register()
    g = await group(api_a, node_a.app[SERVICES], owner, [member])
    beat = {"away": False}
    assert (await api_a.post(f"{API}/heartbeat", member.token, json=beat)).body["active_calls_count"] == 0
    await start_call(api_b, owner, g)  # on the other node
    for _ in range(50):  # the drop travels over Redis pub/sub
        counts = (await api_a.post(f"{API}/heartbeat", member.token, json=beat)).body
        if counts["active_calls_count"] == 1:
            break
        await asyncio.sleep(0.02)
    assert counts["active_calls_count"] == 1
