"""Calls: start, ring, join, leave, end, kick, ignore, the one-active-call rule, and their events."""
from __future__ import annotations

import asyncio

import pytest

from tests.messaging.helpers import API, group, listen, private_thread
from tests.support.factories import make_friends


@pytest.fixture
def config_overrides():
    return {"messenger": {"calling": {"check_interval_seconds": 0.1}}}


def calls_of(thread: dict) -> str:
    return f"{API}/threads/{thread['id']}/calls"


async def test_call_lifecycle_in_a_group(api, svc, sockets, clock):
    owner = await api.register("Owner")
    member = await api.register("Member")
    outsider = await api.register("Outsider")
    g = await group(api, svc, owner, [member])
    owner_sock = await listen(sockets, owner)
    member_sock = await listen(sockets, member)
    outsider_sock = await listen(sockets, outsider)

    started = await api.post(calls_of(g), owner.token, json={})
    assert started.status == 201
    call = started.body
    assert (call["active"], call["type"], call["type_verbose"], call["thread_id"]) == (True, 1, "VIDEO", g["id"])
    assert call["options"] == {"admin": True, "setup_complete": True, "in_call": True, "left_call": False,
                               "joined": True, "kicked": False}  # the creator joined automatically
    (incoming,) = await member_sock.wait_for("incoming.call")
    assert incoming[1]["call"] == {"id": call["id"], "type": 1, "type_verbose": "VIDEO", "thread_id": g["id"],
                                   "thread_type": 2, "created_at": call["created_at"],
                                   "updated_at": call["updated_at"], "thread_name": "Team chat",
                                   "api_thread_avatar": g["api_avatar"], "thread_avatar": g["avatar"]}
    assert incoming[1]["sender"]["provider_id"] == owner.id
    await owner_sock.nothing("incoming.call")
    await outsider_sock.nothing("incoming.call")
    again = await api.post(calls_of(g), owner.token, json={})
    assert again.status == 403 and again.body == {"message": "Team chat already has an active call."}
    assert (await api.post(calls_of(g), outsider.token, json={})).status == 403

    listed = (await api.get(f"{API}/active-calls", member.token)).body
    assert [c["id"] for c in listed] == [call["id"]] and listed[0]["options"]["joined"] is False
    beat = (await api.post(f"{API}/heartbeat", member.token, json={"away": False})).body
    assert beat["active_calls_count"] == 1
    thread_view = (await api.get(f"{API}/threads/{g['id']}", member.token)).body
    assert thread_view["has_call"] is True and thread_view["resources"]["active_call"]["id"] == call["id"]

    base = f"{calls_of(g)}/{call['id']}"
    assert (await api.get(f"{base}/heartbeat", member.token)).status == 403  # not in the call yet
    joined = await api.post(f"{base}/join", member.token)
    assert joined.status == 201
    assert list(joined.body) == ["id", "call_id", "owner_id", "owner_type", "owner", "created_at", "updated_at",
                                 "left_call"]
    (joined_event,) = await member_sock.wait_for("joined.call")
    assert joined_event[0] == f"private-messenger.user.{member.id}" and joined_event[1]["id"] == call["id"]
    await owner_sock.nothing("joined.call")
    assert (await api.get(f"{base}/heartbeat", member.token)).body == {"message": "success"}
    assert (await api.post(f"{base}/leave", member.token)).status == 200
    (left,) = await member_sock.wait_for("left.call")
    assert left[1]["id"] == call["id"]
    assert (await api.get(f"{base}", member.token)).body["options"]["left_call"] is True
    rejoined = await api.post(f"{base}/join", member.token)
    assert rejoined.status == 200 and rejoined.body["left_call"] is None
    members = (await api.get(f"{base}/participants", owner.token)).body
    assert {m["owner_id"] for m in members} == {owner.id, member.id}

    refused = await api.post(f"{base}/end", member.token)
    assert refused.status == 403
    clock.advance(1)
    assert (await api.post(f"{base}/end", owner.token)).body == {"message": "success"}
    for sock in (owner_sock, member_sock):
        (ended,) = await sock.wait_for("call.ended")
        assert ended[1]["id"] == call["id"]
        message = (await sock.wait_for("new.message"))[-1][1]
        assert message["type"] == 90 and message["body"] == "was in a video call with Member"
    await outsider_sock.nothing("call.ended")
    assert (await api.get(f"{API}/active-calls", member.token)).body == []
    assert (await api.post(f"{API}/heartbeat", member.token, json={"away": False})).body["active_calls_count"] == 0
    shown = (await api.get(base, owner.token)).body
    assert shown["active"] is False and "options" not in shown
    assert {p["owner_id"] for p in shown["participants"]} == {owner.id, member.id}
    assert all(p["left_call"] for p in shown["participants"])
    history = (await api.get(calls_of(g), owner.token)).body
    assert [c["id"] for c in history["data"]] == [call["id"]] and history["meta"]["total"] == 1
    assert (await api.post(f"{base}/join", member.token)).status == 403  # ended
    other = await group(api, svc, owner, [], subject="Other")
    assert (await api.get(f"{calls_of(other)}/{call['id']}", owner.token)).status == 404


async def test_two_racing_starts_make_one_call(api, svc):
    alice = await api.register()
    bob = await api.register()
    await make_friends(svc, alice.id, bob.id)
    thread = await private_thread(api, alice, bob)
    replies = await asyncio.gather(api.post(calls_of(thread), alice.token, json={}),
                                   api.post(calls_of(thread), bob.token, json={}))
    assert sorted(r.status for r in replies) == [201, 403]
    assert len((await api.get(f"{API}/active-calls", alice.token)).body) == 1


async def test_kick_removes_from_the_call_and_its_channel(api, svc, sockets):
    owner = await api.register("Owner")
    member = await api.register("Member")
    g = await group(api, svc, owner, [member])
    call = (await api.post(calls_of(g), owner.token, json={})).body
    base = f"{calls_of(g)}/{call['id']}"
    await api.post(f"{base}/join", member.token)
    channel = f"presence-messenger.call.{call['id']}.thread.{g['id']}"
    member_sock = await listen(sockets, member, channel)
    owner_sock = await listen(sockets, owner, channel)
    await member_sock.wait_for("presence:subscribed", channel)
    row = next(m for m in (await api.get(f"{base}/participants", owner.token)).body if m["owner_id"] == member.id)
    assert (await api.put(f"{base}/participants/{row['id']}", member.token, json={"kicked": True})).status == 403
    kicked = await api.put(f"{base}/participants/{row['id']}", owner.token, json={"kicked": True})
    assert kicked.status == 200 and kicked.body["left_call"] is not None
    (event,) = await member_sock.wait_for("call.kicked")
    assert event[1] == {"thread_id": g["id"], "call_id": call["id"], "kicked": True}
    (gone,) = await owner_sock.wait_for("presence:leaving", channel)
    assert gone[1]["user_id"] == member.id
    assert (await api.post(f"{base}/join", member.token)).status == 403
    await member_sock.subscribe(channel)
    assert (await member_sock.wait_for("subscription_error"))[-1] == (channel, 403)
    assert (await api.put(f"{base}/participants/{row['id']}", owner.token, json={"kicked": True})).status == 200
    await asyncio.sleep(0.2)
    assert len(member_sock.received("call.kicked")) == 1  # unchanged: no second event
    assert (await api.put(f"{base}/participants/{row['id']}", owner.token, json={"kicked": False})).status == 200
    assert (await member_sock.wait_for("call.kicked", count=2))[-1][1]["kicked"] is False
    assert (await api.post(f"{base}/join", member.token)).status == 200
    assert (await api.put(f"{base}/participants/{row['id']}", owner.token, json={})).status == 422
    assert (await api.get(f"{base}/participants/nope", owner.token)).status == 404


async def test_ignore_ends_a_private_call(api, svc, sockets):
    alice = await api.register("Alice")
    bob = await api.register("Bob")
    await make_friends(svc, alice.id, bob.id)
    thread = await private_thread(api, alice, bob)
    alice_sock = await listen(sockets, alice)
    bob_sock = await listen(sockets, bob)
    call = (await api.post(calls_of(thread), alice.token, json={})).body
    await bob_sock.wait_for("incoming.call")
    base = f"{calls_of(thread)}/{call['id']}"
    assert (await api.post(f"{base}/ignore", alice.token)).status == 403  # the caller has joined
    assert (await api.post(f"{base}/ignore", bob.token)).status == 200
    (ignored,) = await bob_sock.wait_for("call.ignored")
    assert ignored[1]["id"] == call["id"]
    await alice_sock.nothing("call.ignored")
    assert (await alice_sock.wait_for("call.ended"))[0][1]["id"] == call["id"]
    assert (await api.get(base, alice.token)).body["active"] is False


async def test_ignore_in_a_group_keeps_the_call(api, svc, sockets):
    owner = await api.register()
    member = await api.register()
    g = await group(api, svc, owner, [member])
    member_sock = await listen(sockets, member)
    call = (await api.post(calls_of(g), owner.token, json={})).body
    assert (await api.post(f"{calls_of(g)}/{call['id']}/ignore", member.token)).status == 200
    await member_sock.wait_for("call.ignored")
    assert (await api.get(f"{calls_of(g)}/{call['id']}", owner.token)).body["active"] is True


async def test_kick_evicts_a_socket_that_sent_its_token_only_when_subscribing(api, svc, server):
    from tests.support.sockets import connect

    owner, member = await api.register("Owner"), await api.register("Member")
    g = await group(api, svc, owner, [member])
    call = (await api.post(calls_of(g), owner.token, json={})).body
    base = f"{calls_of(g)}/{call['id']}"
    await api.post(f"{base}/join", member.token)
    channel = f"presence-messenger.call.{call['id']}.thread.{g['id']}"
    by_payload = await connect(str(server.make_url("/")))  # laravel-echo-server style
    await by_payload.subscribe(channel, token=member.token)
    await by_payload.wait_for("presence:subscribed", channel)
    row = next(m for m in (await api.get(f"{base}/participants", owner.token)).body if m["owner_id"] == member.id)
    assert (await api.put(f"{base}/participants/{row['id']}", owner.token, json={"kicked": True})).status == 200
    assert (channel, 403) in await by_payload.wait_for("subscription_error", channel)
    await by_payload.whisper(channel, "typing", {"from": "kicked"})  # and cannot speak into the call channel
