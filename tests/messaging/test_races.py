"""Races have exactly one winner, on SQLite and PostgreSQL alike: the database constraints decide, and the
others get the documented 4xx (never a 500, never a duplicate)."""
from __future__ import annotations

import asyncio

from tests.messaging.helpers import API, group
from tests.support.factories import make_friend_request, make_friends


async def test_racing_joins_with_one_invite_make_one_participant(api, svc):
    owner = await api.register()
    g = await group(api, svc, owner, [])
    code = (await api.post(f"{API}/threads/{g['id']}/invites", owner.token, json={"expires": 0, "uses": 0})).body["code"]
    newcomer = await api.register()

    replies = await asyncio.gather(*(api.post(f"{API}/join/{code}", newcomer.token) for _ in range(5)))
    assert sorted(r.status for r in replies) == [201, 403, 403, 403, 403], replies
    assert all(r.body["message"] == "You are already in that group." for r in replies if r.status == 403)
    members = (await api.get(f"{API}/threads/{g['id']}/participants", owner.token)).body["data"]
    assert sorted(p["owner_id"] for p in members) == sorted([owner.id, newcomer.id])
    invite = (await api.get(f"{API}/threads/{g['id']}/invites", owner.token)).body["data"][0]
    assert invite["uses"] == 1  # the losers' use was rolled back with them
    joined = [m for m in (await api.get(f"{API}/threads/{g['id']}/logs", owner.token)).body["data"]
              if m["type_verbose"] == "PARTICIPANT_JOINED_WITH_INVITE"]
    assert len(joined) == 1


async def test_racing_joins_of_a_single_use_invite_let_one_person_in(api, svc):
    owner = await api.register()
    g = await group(api, svc, owner, [])
    code = (await api.post(f"{API}/threads/{g['id']}/invites", owner.token, json={"expires": 0, "uses": 1})).body["code"]
    people = [await api.register() for _ in range(4)]
    replies = await asyncio.gather(*(api.post(f"{API}/join/{code}", p.token) for p in people))
    assert sorted(r.status for r in replies) == [201, 403, 403, 403], replies
    members = (await api.get(f"{API}/threads/{g['id']}/participants", owner.token)).body["data"]
    assert len(members) == 2


async def test_accept_deny_and_cancel_of_one_request_have_one_winner(api, svc):
    for _ in range(3):
        alice, bob = await api.register(), await api.register()
        request_id = await make_friend_request(svc, alice.id, bob.id)
        replies = await asyncio.gather(
            api.put(f"{API}/friends/pending/{request_id}", bob.token, json={}),
            api.delete(f"{API}/friends/pending/{request_id}", bob.token),
            api.delete(f"{API}/friends/sent/{request_id}", alice.token),
            api.put(f"{API}/friends/pending/{request_id}", bob.token, json={}),
        )
        statuses = [r.status for r in replies]
        assert sorted(statuses)[:1] != [500] and all(s in (200, 201, 404) for s in statuses), replies
        assert sum(s != 404 for s in statuses) == 1, replies
        accepted = statuses[0] == 201 or statuses[3] == 201
        alice_friends = (await api.get(f"{API}/friends", alice.token)).body
        bob_friends = (await api.get(f"{API}/friends", bob.token)).body
        assert (len(alice_friends), len(bob_friends)) == ((1, 1) if accepted else (0, 0))
        assert (await api.get(f"{API}/friends/pending", bob.token)).body == []
        assert (await api.get(f"{API}/friends/sent", alice.token)).body == []


async def test_racing_sends_of_one_friend_request_make_one(api, svc):
    alice, bob = await api.register(), await api.register()
    replies = await asyncio.gather(*(api.post(f"{API}/friends/sent", alice.token,
                                              json={"recipient_alias": "user", "recipient_id": bob.id})
                                     for _ in range(4)))
    assert sorted(r.status for r in replies) == [201, 403, 403, 403], replies
    assert len((await api.get(f"{API}/friends/pending", bob.token)).body) == 1


async def test_racing_adds_of_one_friend_make_one_participant(api, svc):
    owner, admin, friend = await api.register(), await api.register(), await api.register()
    g = await group(api, svc, owner, [admin])
    admin_row = next(p["id"] for p in (await api.get(f"{API}/threads/{g['id']}/participants", owner.token)).body["data"]
                     if p["owner_id"] == admin.id)
    assert (await api.post(f"{API}/threads/{g['id']}/participants/{admin_row}/promote", owner.token)).status == 200
    await make_friends(svc, owner.id, friend.id)
    await make_friends(svc, admin.id, friend.id)
    body = {"providers": [{"alias": "user", "id": friend.id}]}
    replies = await asyncio.gather(*(api.post(f"{API}/threads/{g['id']}/participants", who.token, json=body)
                                     for who in (owner, admin, owner, admin)))
    assert all(r.status in (200, 409) for r in replies), replies
    added = [row for r in replies if r.status == 200 for row in r.body]
    assert len(added) == 1 and added[0]["owner_id"] == friend.id
    members = (await api.get(f"{API}/threads/{g['id']}/participants", owner.token)).body["data"]
    assert sorted(p["owner_id"] for p in members) == sorted([owner.id, admin.id, friend.id])


async def test_concurrent_sends_are_pushed_in_the_order_the_lists_show(api, svc, sockets):
    owner, member = await api.register(), await api.register()
    g = await group(api, svc, owner, [member])
    listener = await sockets(member.token)
    await listener.subscribe(f"presence-messenger.thread.{g['id']}")
    await listener.subscribe(f"private-messenger.user.{member.id}")
    await asyncio.sleep(0.15)

    replies = await asyncio.gather(*(api.post(f"{API}/threads/{g['id']}/messages", owner.token,
                                              json={"message": f"m{n}"}) for n in range(15)))
    assert all(r.status == 201 for r in replies), replies
    pushed = [event[1] for event in await listener.wait_for("new.message", count=15)]
    listed = (await api.get(f"{API}/threads/{g['id']}/messages", member.token)).body["data"]
    listed_user = [m for m in reversed(listed) if not m["system_message"]]
    assert [m["id"] for m in pushed] == [m["id"] for m in listed_user]
    stamps = [m["created_at"] for m in pushed]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    by_id = {r.body["id"]: r.body["created_at"] for r in replies}
    assert all(by_id[m["id"]] == m["created_at"] for m in pushed)  # the answer shows the stored time


async def test_a_push_stuck_on_a_slow_bus_holds_later_sends_only_briefly():
    import time

    from messenger_gateway.domain.send_order import ThreadPushOrder

    order = ThreadPushOrder(max_wait=0.2)
    entered = asyncio.Event()

    async def stuck_push() -> None:
        async with order.ordered("t1"):
            entered.set()
            await asyncio.sleep(10)  # a publish that hangs

    holder = asyncio.create_task(stuck_push())
    await entered.wait()
    started = time.monotonic()
    async with order.ordered("t1"):
        waited = time.monotonic() - started
    async with order.ordered("t2"):  # other threads never wait
        pass
    holder.cancel()
    await asyncio.gather(holder, return_exceptions=True)
    assert 0.15 < waited < 1.0 and order.gave_up == 1
    async with order.ordered("t1"):  # and once the stuck one is gone, the thread is ordered again
        pass
    assert order.gave_up == 1
