"""No N+1: lists load with the same number of SQL statements whatever their length."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import event

from messenger_gateway.app.factory import STATUS_BROADCASTER

from tests.messaging.helpers import API, group, private_thread
from tests.support.factories import make_friends


@contextmanager
def counting(svc) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # noqa: ANN001
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "PRAGMA")):
            statements.append(statement)

    engine = svc.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def statements_for(api, svc, path: str, token: str) -> int:
    await api.get(path, token)  # warm the token and settings caches
    with counting(svc) as statements:
        reply = await api.get(path, token)
    assert reply.status == 200, reply
    return len(statements)


async def test_thread_list_query_count_does_not_grow(api, svc, clock):
    me = await api.register()
    others = [await api.register() for _ in range(12)]
    for other in others[:2]:
        await make_friends(svc, me.id, other.id)
        await private_thread(api, me, other)
    few = await statements_for(api, svc, f"{API}/threads", me.token)
    for other in others[2:]:
        clock.advance(1)
        await private_thread(api, other, me)
    await group(api, svc, me, others[2:5])
    many = await statements_for(api, svc, f"{API}/threads", me.token)
    assert (await api.get(f"{API}/threads", me.token)).body["meta"]["total"] == 13
    assert many == few, (few, many)
    assert many <= 10
    print(f"\nthread list: {many} statements for 13 threads")


async def test_message_and_participant_pages_query_count_does_not_grow(api, svc, clock):
    owner = await api.register()
    members = [await api.register() for _ in range(12)]
    g = await group(api, svc, owner, members[:1])
    messages_few = await statements_for(api, svc, f"{API}/threads/{g['id']}/messages", owner.token)
    participants_few = await statements_for(api, svc, f"{API}/threads/{g['id']}/participants", owner.token)
    for member in members[1:]:
        await make_friends(svc, owner.id, member.id)
    await api.post(f"{API}/threads/{g['id']}/participants", owner.token,
                   json={"providers": [{"alias": "user", "id": m.id} for m in members[1:]]})
    for n in range(30):
        clock.advance(1)
        await api.post(f"{API}/threads/{g['id']}/messages", members[n % 12].token, json={"message": f"m{n}"})
    messages_many = await statements_for(api, svc, f"{API}/threads/{g['id']}/messages", owner.token)
    participants_many = await statements_for(api, svc, f"{API}/threads/{g['id']}/participants", owner.token)
    assert (messages_many, participants_many) == (messages_few, participants_few)
    assert messages_many <= 6 and participants_many <= 8
    print(f"\nmessage page: {messages_many} statements for 32 messages; "
          f"participant list: {participants_many} statements for 13 participants")


async def test_sending_a_message_is_bounded(api, svc, clock):
    owner = await api.register()
    members = [await api.register() for _ in range(10)]
    g = await group(api, svc, owner, members)
    path = f"{API}/threads/{g['id']}/messages"
    await api.post(path, owner.token, json={"message": "warm"})
    clock.advance(1)
    with counting(svc) as statements:
        assert (await api.post(path, owner.token, json={"message": "hello"})).status == 201
    assert len(statements) <= 6, statements
    print(f"\nmessage send to 11 members: {len(statements)} statements")


async def test_heartbeat_runs_no_sql_and_its_counters_follow_every_change(api, svc, server, clock):
    me = await api.register()
    friend = await api.register()
    await make_friends(svc, me.id, friend.id)
    thread = await private_thread(api, friend, me, "hello")
    beat = f"{API}/heartbeat"
    first = (await api.post(beat, me.token, json={"away": False})).body
    assert (first["unread_threads_count"], first["active_calls_count"], first["pending_friends_count"]) == (1, 0, 0)
    await server.app[STATUS_BROADCASTER].drained()  # the OFFLINE -> ONLINE push looks up who to tell
    with counting(svc) as statements:
        again = (await api.post(beat, me.token, json={"away": False})).body  # no status change to push
    # the batched last-active writer may flush in the same instant; the heartbeat itself runs nothing
    assert [s for s in statements if "last_active_at" not in s] == [] and again["unread_threads_count"] == 1
    print("\nheartbeat: 0 statements on the common path")

    clock.advance(1)
    await api.get(f"{API}/threads/{thread['id']}/mark-read", me.token)
    assert (await api.post(beat, me.token, json={"away": False})).body["unread_threads_count"] == 0
    clock.advance(1)
    await api.post(f"{API}/threads/{thread['id']}/messages", friend.token, json={"message": "again"})
    assert (await api.post(beat, me.token, json={"away": False})).body["unread_threads_count"] == 1
    call = (await api.post(f"{API}/threads/{thread['id']}/calls", friend.token, json={})).body
    assert (await api.post(beat, me.token, json={"away": False})).body["active_calls_count"] == 1
    await api.post(f"{API}/threads/{thread['id']}/calls/{call['id']}/end", friend.token)
    assert (await api.post(beat, me.token, json={"away": False})).body["active_calls_count"] == 0
    stranger = await api.register()
    request = (await api.post(f"{API}/friends/sent", stranger.token,
                              json={"recipient_id": me.id, "recipient_alias": "user"})).body
    assert (await api.post(beat, me.token, json={"away": False})).body["pending_friends_count"] == 1
    await api.delete(f"{API}/friends/sent/{request['id']}", stranger.token)
    assert (await api.post(beat, me.token, json={"away": False})).body["pending_friends_count"] == 0
    await api.delete(f"{API}/threads/{thread['id']}", friend.token)
    assert (await api.post(beat, me.token, json={"away": False})).body["unread_threads_count"] == 0
