"""POST /api/messenger/heartbeat, GET unread-threads-count and active-calls, with real stored state."""
from __future__ import annotations

from tests.support.factories import make_call, make_friend_request, make_thread
from tests.support.seed import assert_same_shape, seed_response

SETTINGS = {"message_popups": True, "message_sound": True, "call_ringtone_sound": True, "notify_sound": True, "dark_mode": True}


async def set_online_setting(api, user, value: int) -> None:
    reply = await api.put("/api/messenger/settings", user.token, json={**SETTINGS, "online_status": value})
    assert reply.status == 200


async def test_heartbeat_shape_matches_seed(api):
    user = await api.register("John Doe", "john@example.net")
    reply = await api.post("/api/messenger/heartbeat", user.token, json={"away": False})
    assert reply.status == 200
    assert_same_shape(reply.body, seed_response("POST /api/messenger/heartbeat"))
    assert reply.body["provider"]["base"]["email"] == "john@example.net"
    assert reply.body["online_status"] == 1
    assert reply.body["online_status_verbose"] == "ONLINE"
    assert reply.body["settings"]["owner_id"] == user.id


async def test_heartbeat_status_rules(api, clock):
    user = await api.register()
    other = await api.register()

    async def status_seen_by_other() -> int:
        hits = (await api.get(f"/api/messenger/search/{user.email}", other.token)).body["data"]
        return hits[0]["options"]["online_status"]

    assert await status_seen_by_other() == 0
    away = await api.post("/api/messenger/heartbeat", user.token, json={"away": True})
    assert (away.body["online_status"], away.body["online_status_verbose"]) == (2, "AWAY")
    assert await status_seen_by_other() == 2
    online = await api.post("/api/messenger/heartbeat", user.token, json={"away": False})
    assert online.body["online_status"] == 1
    # the lifetime is 4 minutes: just before it the status holds, after it the user is offline
    clock.advance(4 * 60 - 1)
    assert await status_seen_by_other() == 1
    clock.advance(2)
    assert await status_seen_by_other() == 0
    # setting 2 = always away, even for away=false
    await set_online_setting(api, user, 2)
    reply = await api.post("/api/messenger/heartbeat", user.token, json={"away": False})
    assert (reply.body["online_status"], reply.body["online_status_verbose"]) == (2, "AWAY")
    # setting 0 = appear offline: the change hides the user at once and heartbeats write nothing
    await set_online_setting(api, user, 0)
    assert await status_seen_by_other() == 0
    for away_flag in (False, True):
        reply = await api.post("/api/messenger/heartbeat", user.token, json={"away": away_flag})
        assert (reply.body["online_status"], reply.body["online_status_verbose"]) == (0, "OFFLINE")
    assert await status_seen_by_other() == 0
    await set_online_setting(api, user, 1)
    assert await status_seen_by_other() == 1


async def test_heartbeat_validation(api):
    user = await api.register()
    for payload, message in [
        ({}, "The away field is required."),
        ({"away": None}, "The away field is required."),
        ({"away": ""}, "The away field is required."),
        ({"away": "string"}, "The away field must be true or false."),
        ({"away": 5}, "The away field must be true or false."),
        ({"away": [1]}, "The away field must be true or false."),
    ]:
        reply = await api.post("/api/messenger/heartbeat", user.token, json=payload)
        assert reply.status == 422, payload
        assert reply.body == {"message": "The given data was invalid.", "errors": {"away": [message]}}
    for accepted in (True, False, 1, 0, "1", "0"):
        assert (await api.post("/api/messenger/heartbeat", user.token, json={"away": accepted})).status == 200


async def test_heartbeat_counts_reflect_stored_state(api, svc):
    me = await api.register()
    a = await api.register()
    b = await api.register()
    # unread: a thread I never read, and a thread updated after I read it; a read thread does not count
    await make_thread(svc, [me.id, a.id])
    read = await make_thread(svc, [me.id, b.id], read_by=(me.id,))
    group = await make_thread(svc, [me.id, a.id, b.id], group=True, subject="Team", read_by=(me.id,))
    await make_thread(svc, [a.id, b.id])  # not mine
    # two active calls in my threads (one of them I joined), one ended, one in a thread I am not in
    await make_call(svc, read, b.id, joined=(b.id,))
    await make_call(svc, group, a.id, joined=(a.id, me.id))
    await make_call(svc, group, a.id, joined=(a.id,), ended=True)
    other_thread = await make_thread(svc, [a.id, b.id], read_by=(a.id, b.id))
    await make_call(svc, other_thread, a.id, joined=(a.id,))
    # friend requests waiting for me: two; one I sent does not count
    await make_friend_request(svc, a.id, me.id)
    await make_friend_request(svc, b.id, me.id)
    await make_friend_request(svc, me.id, (await api.register()).id)

    beat = (await api.post("/api/messenger/heartbeat", me.token, json={"away": False})).body
    assert beat["unread_threads_count"] == 1
    assert beat["active_calls_count"] == 2
    assert beat["pending_friends_count"] == 2
    assert (await api.get("/api/messenger/unread-threads-count", me.token)).body == {"unread_threads_count": 1}

    calls = (await api.get("/api/messenger/active-calls", me.token)).body
    assert len(calls) == beat["active_calls_count"]
    seed = seed_response("GET /api/messenger/active-calls")
    assert_same_shape(calls, seed)
    by_thread = {c["thread_id"]: c for c in calls}
    private_call = by_thread[read]
    assert private_call["meta"]["thread_type_verbose"] == "PRIVATE"
    assert private_call["meta"]["thread_name"] == b.name
    assert private_call["meta"]["thread_avatar"] == b.provider["avatar"]
    assert private_call["owner"]["provider_id"] == b.id
    assert private_call["options"] == {"admin": False, "setup_complete": True, "in_call": False,
                                       "left_call": False, "joined": False, "kicked": False}
    group_call = by_thread[group]
    assert group_call["meta"]["thread_type"] == 2
    assert group_call["meta"]["thread_name"] == "Team"
    assert group_call["meta"]["api_thread_avatar"]["sm"] == f"/api/messenger/threads/{group}/avatar/sm/3.png"
    assert group_call["options"]["joined"] is True and group_call["options"]["in_call"] is True

    # the other side of the friend requests has nothing pending and sees its own calls
    other = (await api.post("/api/messenger/heartbeat", a.token, json={"away": False})).body
    assert other["pending_friends_count"] == 0
    assert other["active_calls_count"] == 2
