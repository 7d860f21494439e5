"""Friends: send, cancel, accept, deny, remove, the three lists, and the events each pushes."""
from __future__ import annotations

import asyncio

API = "/api/messenger/friends"


async def listen(sockets, user):
    sock = await sockets(user.token)
    await sock.subscribe(f"private-messenger.user.{user.id}")
    await asyncio.sleep(0.15)
    return sock


async def test_request_accept_and_remove(api, sockets):
    alice = await api.register("Alice")
    bob = await api.register("Bob")
    bob_sock = await listen(sockets, bob)
    alice_sock = await listen(sockets, alice)
    sent = await api.post(f"{API}/sent", alice.token, json={"recipient_id": bob.id, "recipient_alias": "user"})
    assert sent.status == 201
    assert list(sent.body) == ["recipient", "type_verbose", "id", "sender_type", "sender_id", "recipient_type",
                               "recipient_id", "created_at", "updated_at"]
    assert sent.body["type_verbose"] == "SENT_FRIEND_REQUEST"
    assert sent.body["recipient"]["options"]["friend_status"] == 2
    (event,) = await bob_sock.wait_for("friend.request")
    assert event[1]["sender"]["provider_id"] == alice.id and event[1]["id"] == sent.body["id"]
    assert [r["id"] for r in (await api.get(f"{API}/sent", alice.token)).body] == [sent.body["id"]]
    pending = (await api.get(f"{API}/pending", bob.token)).body
    assert [p["sender"]["provider_id"] for p in pending] == [alice.id]
    assert pending[0]["type_verbose"] == "PENDING_FRIEND_REQUEST" and pending[0]["sender"]["options"]["friend_status"] == 3
    assert (await api.post("/api/messenger/heartbeat", bob.token, json={"away": False})).body["pending_friends_count"] == 1
    # a second request either way is refused
    again = await api.post(f"{API}/sent", bob.token, json={"recipient_id": alice.id, "recipient_alias": "user"})
    assert again.status == 403

    accepted = await api.put(f"{API}/pending/{sent.body['id']}", bob.token, json={})
    assert accepted.status == 201
    assert accepted.body["type_verbose"] == "FRIEND" and accepted.body["party"]["provider_id"] == alice.id
    assert accepted.body["party"]["options"]["friend_status"] == 1
    (approved,) = await alice_sock.wait_for("friend.approved")
    assert approved[1]["sender"]["provider_id"] == bob.id and approved[1]["owner_id"] == alice.id
    alice_friends = (await api.get(API, alice.token)).body
    assert [f["party_id"] for f in alice_friends] == [bob.id]
    assert (await api.get(f"{API}/{alice_friends[0]['id']}", alice.token)).body["party"]["name"] == "Bob"
    assert (await api.get(f"{API}/{alice_friends[0]['id']}", bob.token)).status == 403  # not bob's row (the package: 403)
    assert (await api.get(f"{API}/pending", bob.token)).body == []
    hit = (await api.get("/api/messenger/search/bob", alice.token)).body["data"][0]["options"]
    assert hit["friend_status"] == 1 and hit["friend_id"] == alice_friends[0]["id"]

    removed = await api.delete(f"{API}/{alice_friends[0]['id']}", alice.token)
    assert removed.status == 200 and removed.body["provider_id"] == bob.id
    (gone,) = await bob_sock.wait_for("friend.removed")
    assert gone[1]["friend_id"] == accepted.body["id"]  # bob's own row
    assert (await api.get(API, alice.token)).body == [] and (await api.get(API, bob.token)).body == []


async def test_cancel_and_deny(api, sockets):
    alice = await api.register()
    bob = await api.register()
    bob_sock = await listen(sockets, bob)
    alice_sock = await listen(sockets, alice)
    first = (await api.post(f"{API}/sent", alice.token, json={"recipient_id": bob.id, "recipient_alias": "user"})).body
    assert (await api.get(f"{API}/sent/{first['id']}", alice.token)).status == 200
    assert (await api.get(f"{API}/pending/{first['id']}", bob.token)).status == 200
    assert (await api.delete(f"{API}/pending/{first['id']}", alice.token)).status == 404  # only the recipient denies
    cancelled = await api.delete(f"{API}/sent/{first['id']}", alice.token)
    assert cancelled.status == 200 and cancelled.body["provider_id"] == bob.id
    assert (await bob_sock.wait_for("friend.cancelled"))[0][1] == {"pending_friend_id": first["id"]}
    second = (await api.post(f"{API}/sent", alice.token, json={"recipient_id": bob.id, "recipient_alias": "user"})).body
    denied = await api.delete(f"{API}/pending/{second['id']}", bob.token)
    assert denied.status == 200 and denied.body["provider_id"] == alice.id
    assert (await alice_sock.wait_for("friend.denied"))[0][1] == {"sent_friend_id": second["id"]}
    assert (await api.get(f"{API}/sent", alice.token)).body == []


async def test_friend_request_errors(api):
    alice = await api.register()
    bob = await api.register()
    missing = await api.post(f"{API}/sent", alice.token, json={})
    assert missing.status == 422 and set(missing.body["errors"]) == {"recipient_id", "recipient_alias"}
    nobody = await api.post(f"{API}/sent", alice.token, json={"recipient_id": "nope", "recipient_alias": "user"})
    assert nobody.status == 404 and nobody.body == {"message": "Unable to locate the recipient you requested."}
    wrong_alias = await api.post(f"{API}/sent", alice.token, json={"recipient_id": bob.id, "recipient_alias": "bot"})
    assert wrong_alias.status == 404
    myself = await api.post(f"{API}/sent", alice.token, json={"recipient_id": alice.id, "recipient_alias": "user"})
    assert myself.status == 403
    for path in (f"{API}/x", f"{API}/sent/x", f"{API}/pending/x"):
        assert (await api.get(path, alice.token)).status == 404
    assert (await api.put(f"{API}/pending/x", alice.token, json={})).status == 404
    assert (await api.delete(f"{API}/x", alice.token)).status == 404
    assert (await api.get(API)).status == 401
