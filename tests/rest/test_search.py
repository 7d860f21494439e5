"""GET /api/messenger/search/{query}: rules, options, paging and the rate limit."""
from __future__ import annotations

import asyncio

import pytest

from tests.support.factories import make_friend_request, make_friends
from tests.support.seed import assert_same_shape, seed_response


async def test_search_shape_matches_seed(api):
    me = await api.register("John Doe", "john@example.net")
    jane = await api.register("Jane Doe", "jane@example.net")
    await api.post("/api/messenger/heartbeat", jane.token, json={"away": True})
    reply = await api.get("/api/messenger/search/jane", me.token)
    assert reply.status == 200
    assert_same_shape(reply.body, seed_response("GET /api/messenger/search/{query}"))
    hit = reply.body["data"][0]
    assert hit["provider_id"] == jane.id
    assert hit["options"] == {
        "can_message_first": True, "friendable": True, "can_friend": True, "searchable": True, "can_search": True,
        "online_status": 2, "online_status_verbose": "AWAY", "friend_status": 0,
        "friend_status_verbose": "NOT_FRIEND", "last_active": None,
    }
    base = api.base_url
    assert reply.body["links"] == {"first": f"{base}/api/messenger/search/jane?page=1",
                                   "last": f"{base}/api/messenger/search/jane?page=1", "prev": None, "next": None}
    meta = reply.body["meta"]
    assert (meta["current_page"], meta["from"], meta["to"], meta["total"], meta["last_page"]) == (1, 1, 1, 1, 1)
    assert meta["path"] == f"{base}/api/messenger/search/jane"
    assert meta["search"] == "jane" and meta["search_items"] == ["jane"]
    assert meta["links"][1] == {"url": f"{base}/api/messenger/search/jane?page=1", "label": 1, "active": True}


async def test_search_rules(api):
    me = await api.register("Searcher Person", "searcher@example.net")
    ann = await api.register("Ann Marie Smith", "ann@example.net")
    bob = await api.register("Bob Stone", "bob@example.net")
    await api.register("Carl Under_score", "carl@example.net")

    async def names(query: str) -> list[str]:
        reply = await api.get(f"/api/messenger/search/{query}", me.token)
        assert reply.status == 200
        return [h["name"] for h in reply.body["data"]]

    assert await names("ann") == ["Ann Marie Smith"]
    assert await names("ANN") == ["Ann Marie Smith"]  # case-insensitive
    assert await names("smith,stone") == ["Ann Marie Smith", "Bob Stone"]  # any item matches
    assert await names("bob@example.net") == ["Bob Stone"]  # exact email on the whole query
    assert await names("example.net") == []  # no partial email matches
    assert await names("a") == []  # shorter than 2 characters -> empty page
    assert await names("_") == []
    assert await names("n_") == []  # "_" is a literal, not a wildcard ("Ann" would match "n?")
    assert await names("r_s") == ["Carl Under_score"]
    assert await names("%3Cann%3E") == ["Ann Marie Smith"]  # <, > are stripped
    # items: split on spaces and commas, >= 2 chars, unique, at most 4, always a JSON array
    meta = (await api.get("/api/messenger/search/a%20jane,jane%20bo%20xx%20yy%20zz", me.token)).body["meta"]
    assert meta["search_items"] == ["jane", "bo", "xx", "yy"]
    empty = (await api.get("/api/messenger/search", me.token)).body
    assert empty["data"] == [] and empty["meta"]["total"] == 0 and empty["meta"]["search_items"] == []
    # the searcher finds themself, without message/friend options
    own = (await api.get("/api/messenger/search/searcher", me.token)).body["data"][0]["options"]
    assert own["can_message_first"] is False and own["friendable"] is False and own["searchable"] is True
    assert ann.id != bob.id


async def test_search_friend_status_and_last_active(api, svc):
    me = await api.register("Me Myself", "me@example.net")
    friend = await api.register("Zed Friend", "f@example.net")
    sent = await api.register("Zed Sent", "s@example.net")
    pending = await api.register("Zed Pending", "p@example.net")
    stranger = await api.register("Zed Stranger", "x@example.net")
    my_row, _ = await make_friends(svc, me.id, friend.id)
    sent_id = await make_friend_request(svc, me.id, sent.id)
    pending_id = await make_friend_request(svc, pending.id, me.id)
    for user in (friend, stranger):
        await api.post("/api/messenger/heartbeat", user.token, json={"away": False})
    hits = {h["provider_id"]: h["options"] for h in (await api.get("/api/messenger/search/zed", me.token)).body["data"]}
    assert hits[friend.id]["friend_status"] == 1 and hits[friend.id]["friend_status_verbose"] == "FRIEND"
    assert hits[friend.id]["friend_id"] == my_row
    assert hits[friend.id]["last_active"] is not None  # friends see last_active
    assert hits[stranger.id]["last_active"] is None  # strangers do not, even while online
    assert hits[stranger.id]["online_status"] == 1
    assert hits[sent.id]["friend_status"] == 2 and hits[sent.id]["sent_friend_id"] == sent_id
    assert hits[pending.id]["friend_status"] == 3 and hits[pending.id]["pending_friend_id"] == pending_id
    assert hits[pending.id]["friend_status_verbose"] == "PENDING_FRIEND_REQUEST"


async def test_search_pages_over_many_users(api):
    me = await api.register("Paging Owner", "owner@example.net")
    await asyncio.gather(*(api.register(f"Pager {i:02d}", f"pager{i}@example.net") for i in range(30)))
    first = (await api.get("/api/messenger/search/pager", me.token)).body
    assert len(first["data"]) == 25
    assert first["meta"]["total"] == 30 and first["meta"]["last_page"] == 2
    assert first["links"]["next"] == f"{api.base_url}/api/messenger/search/pager?page=2"
    second = (await api.get("/api/messenger/search/pager?page=2", me.token)).body
    assert len(second["data"]) == 5
    assert (second["meta"]["from"], second["meta"]["to"], second["meta"]["current_page"]) == (26, 30, 2)
    assert second["links"]["prev"] == f"{api.base_url}/api/messenger/search/pager?page=1"
    assert second["links"]["next"] is None
    seen = [h["name"] for h in first["data"] + second["data"]]
    assert seen == [f"Pager {i:02d}" for i in range(30)]  # every user exactly once, in name order
    beyond = (await api.get("/api/messenger/search/pager?page=9", me.token)).body
    assert beyond["data"] == [] and beyond["meta"]["total"] == 30
    bad_page = (await api.get("/api/messenger/search/pager?page=abc", me.token)).body
    assert bad_page["meta"]["current_page"] == 1


@pytest.mark.parametrize("config_overrides", [{"limits": {"search_per_minute": 5}}])
async def test_search_rate_limit(api, clock):
    me = await api.register()
    other = await api.register()
    for i in range(5):
        reply = await api.get("/api/messenger/search/someone", me.token)
        assert reply.status == 200
        assert reply.headers["X-RateLimit-Remaining"] == str(4 - i)
    limited = await api.get("/api/messenger/search/someone", me.token)
    assert limited.status == 429
    assert limited.body == {"message": "Too Many Attempts."}
    assert limited.headers["X-RateLimit-Limit"] == "5"
    assert int(limited.headers["Retry-After"]) > 0
    assert (await api.get("/api/messenger/search/someone", other.token)).status == 200  # per user
    clock.advance(61)
    assert (await api.get("/api/messenger/search/someone", me.token)).status == 200


async def test_default_limit_is_45_per_minute(api):
    me = await api.register()
    statuses = [(await api.get("/api/messenger/search/xy", me.token)).status for _ in range(46)]
    assert statuses[:45] == [200] * 45 and statuses[45] == 429


async def test_search_finds_users_without_a_settings_row(api, svc):
    """RTippin/messenger#48: users who never opened the messenger must still be found."""
    from sqlalchemy import delete

    from messenger_gateway.storage.models import MessengerSettings

    me = await api.register()
    quiet = await api.register("Quiet Person", "quiet@example.net")
    async with svc.db.session() as session:
        await session.execute(delete(MessengerSettings).where(MessengerSettings.owner_id == quiet.id))
        await session.commit()
    hits = (await api.get("/api/messenger/search/quiet", me.token)).body["data"]
    assert [h["provider_id"] for h in hits] == [quiet.id]
    # and their settings row comes back with the defaults on first use
    settings = await api.get("/api/messenger/settings", quiet.token)
    assert settings.status == 200 and settings.body["online_status"] == 1
