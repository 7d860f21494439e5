"""Heartbeats and live sockets drive ONLINE / AWAY / OFFLINE, and every real change is pushed once."""
from __future__ import annotations

import asyncio

from tests.support.factories import make_friends, make_thread

SETTINGS = {"message_popups": True, "message_sound": True, "call_ringtone_sound": True, "notify_sound": True,
            "dark_mode": True}
EVENT = "online.status"


async def watcher(api, svc, sockets, target):
    """A friend of `target` listening on their own private channel."""
    friend = await api.register()
    await make_friends(svc, friend.id, target.id)
    sock = await sockets(friend.token)
    channel = f"private-messenger.user.{friend.id}"
    await sock.subscribe(channel)
    await asyncio.sleep(0.15)
    return sock, channel


async def beat(api, user, away=False):
    reply = await api.post("/api/messenger/heartbeat", user.token, json={"away": away})
    assert reply.status == 200
    return reply.body


async def test_heartbeat_pushes_online_once(api, svc, sockets):
    me = await api.register("Me")
    friend, channel = await watcher(api, svc, sockets, me)
    body = await beat(api, me)
    assert body["online_status"] == 1
    (event,) = await friend.wait_for(EVENT, channel)
    assert event[1]["provider_id"] == me.id and event[1]["provider_alias"] == "user"
    assert (event[1]["online_status"], event[1]["online_status_verbose"]) == (1, "ONLINE")
    assert event[1]["last_active"].endswith("Z")
    for _ in range(3):
        await beat(api, me)  # no change, no event
    await asyncio.sleep(0.3)
    assert len(friend.received(EVENT)) == 1
    await beat(api, me, away=True)
    events = await friend.wait_for(EVENT, channel, count=2)
    assert (events[1][1]["online_status"], events[1][1]["online_status_verbose"]) == (2, "AWAY")


async def test_setting_changes_push_at_once(api, svc, sockets):
    me = await api.register()
    friend, channel = await watcher(api, svc, sockets, me)
    await beat(api, me)
    await friend.wait_for(EVENT, channel)
    await api.put("/api/messenger/settings", me.token, json={**SETTINGS, "online_status": 0})
    events = await friend.wait_for(EVENT, channel, count=2)
    assert events[1][1]["online_status"] == 0
    assert (await beat(api, me))["online_status"] == 0  # hidden: heartbeats change nothing
    await asyncio.sleep(0.3)
    assert len(friend.received(EVENT)) == 2
    await api.put("/api/messenger/settings", me.token, json={**SETTINGS, "online_status": 2})
    events = await friend.wait_for(EVENT, channel, count=3)
    assert events[2][1]["online_status_verbose"] == "AWAY"
    assert (await beat(api, me, away=False))["online_status"] == 2


async def test_heartbeat_lifetime_expiry_is_pushed(api, svc, sockets, clock):
    me = await api.register()
    friend, channel = await watcher(api, svc, sockets, me)
    await beat(api, me)
    await friend.wait_for(EVENT, channel)
    clock.advance(4 * 60 - 2)
    await asyncio.sleep(0.4)
    assert len(friend.received(EVENT)) == 1  # not yet
    clock.advance(3)
    events = await friend.wait_for(EVENT, channel, count=2, timeout=5)  # the sweeper pushes it
    assert events[1][1]["online_status"] == 0
    other = await api.register()
    hit = (await api.get(f"/api/messenger/search/{me.email}", other.token)).body["data"][0]
    assert hit["options"]["online_status"] == 0


async def test_sockets_make_a_user_online_and_the_last_close_offline_after_grace(api, svc, sockets, clock):
    me = await api.register()
    friend, channel = await watcher(api, svc, sockets, me)
    tab1 = await sockets(me.token)
    (event,) = await friend.wait_for(EVENT, channel)
    assert event[1]["online_status"] == 1
    tab2 = await sockets(me.token)
    await tab1.close()
    clock.advance(20)
    await asyncio.sleep(0.4)
    assert len(friend.received(EVENT)) == 1  # one tab is still open
    await tab2.close()
    await asyncio.sleep(0.3)
    assert len(friend.received(EVENT)) == 1  # within the grace period
    clock.advance(16)
    events = await friend.wait_for(EVENT, channel, count=2, timeout=5)
    assert events[1][1]["online_status"] == 0


async def test_reload_within_grace_shows_no_flicker(api, svc, sockets, clock):
    me = await api.register()
    friend, channel = await watcher(api, svc, sockets, me)
    tab = await sockets(me.token)
    await friend.wait_for(EVENT, channel)
    await tab.close()
    clock.advance(5)
    await sockets(me.token)  # the page came back
    clock.advance(30)
    await asyncio.sleep(0.5)
    assert [e[1]["online_status"] for e in friend.received(EVENT)] == [1]


async def test_fresh_heartbeat_outlives_the_socket(api, svc, sockets, clock):
    me = await api.register()
    friend, channel = await watcher(api, svc, sockets, me)
    tab = await sockets(me.token)
    await friend.wait_for(EVENT, channel)
    await beat(api, me, away=True)  # idle tab reports away
    await friend.wait_for(EVENT, channel, count=2)
    await tab.close()
    clock.advance(60)
    await asyncio.sleep(0.4)
    assert [e[1]["online_status"] for e in friend.received(EVENT)] == [1, 2]  # the heartbeat still holds
    clock.advance(4 * 60)
    events = await friend.wait_for(EVENT, channel, count=3, timeout=5)
    assert events[2][1]["online_status"] == 0


async def test_setting_zero_ignores_sockets(api, svc, sockets):
    me = await api.register()
    await api.put("/api/messenger/settings", me.token, json={**SETTINGS, "online_status": 0})
    friend, channel = await watcher(api, svc, sockets, me)
    await sockets(me.token)
    await asyncio.sleep(0.4)
    assert friend.received(EVENT) == []
    other = await api.register()
    hit = (await api.get(f"/api/messenger/search/{me.email}", other.token)).body["data"][0]
    assert hit["options"]["online_status"] == 0


async def test_audience_is_friends_private_threads_and_group_threads(api, svc, sockets):
    me = await api.register("Me")
    friend = await api.register("Friend")
    chat_partner = await api.register("Partner")
    group_member = await api.register("Member")
    stranger = await api.register("Stranger")
    await make_friends(svc, me.id, friend.id)
    await make_thread(svc, [me.id, chat_partner.id])
    group = await make_thread(svc, [me.id, group_member.id], group=True, subject="G")
    listeners = {}
    for user in (friend, chat_partner, stranger):
        sock = await sockets(user.token)
        await sock.subscribe(f"private-messenger.user.{user.id}")
        listeners[user.name] = sock
    member_sock = await sockets(group_member.token)
    group_channel = f"presence-messenger.thread.{group}"
    await member_sock.subscribe(group_channel)
    await member_sock.wait_for("presence:subscribed")
    await asyncio.sleep(0.15)
    await beat(api, me)

    async def about_me(sock, channel=None) -> list:
        for _ in range(100):
            found = [e for e in sock.received(EVENT, channel) if e[1]["provider_id"] == me.id]
            if found:
                return found
            await asyncio.sleep(0.05)
        return []

    for name in ("Friend", "Partner"):
        assert [e[1]["online_status"] for e in await about_me(listeners[name])] == [1]
    assert [e[1]["online_status"] for e in await about_me(member_sock, group_channel)] == [1]
    await asyncio.sleep(0.2)
    assert not [e for e in listeners["Stranger"].received(EVENT) if e[1]["provider_id"] == me.id]


async def test_every_view_agrees(api, svc, sockets):
    me = await api.register("Agree")
    other = await api.register()
    await make_friends(svc, me.id, other.id)
    await beat(api, me, away=True)
    search = (await api.get(f"/api/messenger/search/{me.email}", other.token)).body["data"][0]["options"]
    own = await beat(api, me, away=True)
    assert search["online_status"] == own["online_status"] == 2
    assert search["last_active"] is not None


async def test_appear_offline_freezes_last_active(api, svc, sockets, clock):
    me = await api.register("Hidden Person", "hidden@example.net")
    friend = await api.register("Looking Friend", "looking@example.net")
    await make_friends(svc, me.id, friend.id)
    await beat(api, me)

    async def seen() -> str | None:
        hits = (await api.get("/api/messenger/search/hidden", friend.token)).body["data"]
        return next(h["options"]["last_active"] for h in hits if h["provider_id"] == me.id)

    clock.advance(30)
    await api.put("/api/messenger/settings", me.token, json={**SETTINGS, "online_status": 0})
    frozen = await seen()
    assert frozen is not None
    for _ in range(3):  # heartbeats and sockets while "appearing offline" move nothing friends can see
        clock.advance(60)
        await beat(api, me)
        sock = await sockets(me.token)
        await sock.close()
        await asyncio.sleep(0.1)
    assert await seen() == frozen
    clock.advance(60)
    await api.put("/api/messenger/settings", me.token, json={**SETTINGS, "online_status": 1})
    await beat(api, me)
    assert await seen() != frozen  # visible again: the time moves again
