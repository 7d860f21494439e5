"""Private threads: first message, pending approval, locate, lists, unread state and their events."""
from __future__ import annotations

import asyncio

from tests.messaging.helpers import API, listen, private_thread
from tests.support.factories import make_friends


async def test_first_message_to_a_stranger_waits_for_approval(api, sockets, clock):
    alice = await api.register("Alice")
    bob = await api.register("Bob")
    bob_sock = await listen(sockets, bob)
    alice_sock = await listen(sockets, alice)
    thread = await private_thread(api, alice, bob, "Hi Bob", temporary_id="tmp-1")
    assert list(thread) == ["id", "type", "type_verbose", "has_call", "locked", "pending", "name", "api_avatar",
                            "avatar", "group", "unread", "unread_count", "created_at", "updated_at", "options",
                            "resources"]
    assert (thread["type"], thread["type_verbose"], thread["pending"], thread["group"]) == (1, "PRIVATE", True, False)
    assert thread["name"] == "Bob" and thread["resources"]["recipient"]["provider_id"] == bob.id
    assert thread["resources"]["recipient"]["options"]["friend_status"] == 0
    assert thread["options"] == {"admin": False, "muted": False, "add_participants": False, "invitations": False,
                                 "call": False, "message": True, "knock": False, "awaiting_my_approval": False}
    assert thread["resources"]["latest_message"]["body"] == "Hi Bob"
    assert thread["unread"] is False
    (event,) = await bob_sock.wait_for("new.thread")
    channel, payload = event
    assert channel == f"private-messenger.user.{bob.id}"
    assert payload["thread"] == {"id": thread["id"], "pending": True, "group": False, "type": 1,
                                 "type_verbose": "PRIVATE", "created_at": thread["created_at"]}
    assert payload["sender"]["provider_id"] == alice.id
    await alice_sock.nothing("new.thread")
    await alice_sock.nothing("new.message")  # the first message travels inside new.thread

    # bob sees it awaiting his approval, and may not answer yet
    seen = (await api.get(f"{API}/threads/{thread['id']}", bob.token)).body
    assert seen["pending"] is True and seen["options"]["awaiting_my_approval"] is True
    assert seen["options"]["message"] is False and seen["unread"] is True and seen["unread_count"] == 1
    refused = await api.post(f"{API}/threads/{thread['id']}/messages", bob.token, json={"message": "hey"})
    assert refused.status == 403 and refused.body == {"message": "Not authorized to send messages."}
    assert (await api.post(f"{API}/threads/{thread['id']}/approval", alice.token, json={"approve": True})).status == 403
    assert (await api.post(f"{API}/threads/{thread['id']}/approval", bob.token, json={})).status == 422

    clock.advance(1)
    approved = await api.post(f"{API}/threads/{thread['id']}/approval", bob.token, json={"approve": True})
    assert approved.status == 200 and approved.body == {"message": "success"}
    (approval,) = await alice_sock.wait_for("thread.approval")
    assert approval[1]["thread"] == {"id": thread["id"], "approved": True}
    assert approval[1]["sender"]["provider_id"] == bob.id
    clock.advance(1)
    sent = await api.post(f"{API}/threads/{thread['id']}/messages", bob.token,
                          json={"message": "Hi Alice 👋 <b>", "temporary_id": "abc"})
    assert sent.status == 201
    assert sent.body["body"] == "Hi Alice 👋 <b>" and sent.body["temporary_id"] == "abc"
    assert list(sent.body)[:14] == ["id", "thread_id", "owner_id", "owner_type", "owner", "type", "type_verbose",
                                    "system_message", "body", "created_at", "updated_at", "meta", "temporary_id",
                                    "edited"]
    for sock in (alice_sock, bob_sock):  # everyone in the thread, the sender included
        (message,) = await sock.wait_for("new.message")
        assert message[1]["id"] == sent.body["id"] and message[1]["temporary_id"] == "abc"
    alice_view = (await api.get(f"{API}/threads/{thread['id']}", alice.token)).body
    assert alice_view["pending"] is False and "awaiting_my_approval" not in alice_view["options"]
    assert alice_view["unread"] is True and alice_view["unread_count"] == 1
    assert (await api.get(f"{API}/threads/{thread['id']}/is-unread", alice.token)).body == {"unread": True}
    assert (await api.get(f"{API}/unread-threads-count", alice.token)).body == {"unread_threads_count": 1}
    clock.advance(1)
    assert (await api.get(f"{API}/threads/{thread['id']}/mark-read", alice.token)).body == {"message": "success"}
    (read,) = await alice_sock.wait_for("thread.read")
    assert read[1]["thread_id"] == thread["id"] and read[1]["last_read"]
    await bob_sock.nothing("thread.read")
    assert (await api.get(f"{API}/threads/{thread['id']}/is-unread", alice.token)).body == {"unread": False}
    assert (await api.get(f"{API}/unread-threads-count", alice.token)).body == {"unread_threads_count": 0}


async def test_deny_archives_the_thread(api, sockets):
    alice = await api.register()
    bob = await api.register()
    alice_sock = await listen(sockets, alice)
    thread = await private_thread(api, alice, bob)
    assert (await api.post(f"{API}/threads/{thread['id']}/approval", bob.token, json={"approve": False})).status == 200
    (approval,) = await alice_sock.wait_for("thread.approval")
    assert approval[1]["thread"] == {"id": thread["id"], "approved": False}
    assert (await api.get(f"{API}/threads/{thread['id']}", alice.token)).status == 404
    assert (await api.get(f"{API}/threads", alice.token)).body["data"] == []


async def test_friends_start_without_approval_and_duplicates_are_refused(api, svc):
    alice = await api.register("Alice")
    bob = await api.register("Bob")
    await make_friends(svc, alice.id, bob.id)
    thread = await private_thread(api, alice, bob)
    assert thread["pending"] is False and thread["resources"]["recipient"]["options"]["friend_status"] == 1
    again = await api.post(f"{API}/privates", bob.token,
                           json={"recipient_alias": "user", "recipient_id": alice.id, "message": "hi"})
    assert again.status == 403 and again.body == {"message": "You already have an existing conversation with Alice"}
    located = (await api.get(f"{API}/privates/recipient/user/{bob.id}", alice.token)).body
    assert located["thread_id"] == thread["id"] and located["recipient"]["options"]["friend_status"] == 1
    nobody = await api.get(f"{API}/privates/recipient/user/{bob.id}x", alice.token)
    assert nobody.status == 404 and nobody.body == {"message": "Unable to locate the recipient you requested."}
    stranger = await api.register()
    assert (await api.get(f"{API}/privates/recipient/user/{stranger.id}", alice.token)).body["thread_id"] is None


async def test_private_store_validation(api):
    alice = await api.register()
    bob = await api.register()
    missing = await api.post(f"{API}/privates", alice.token, json={})
    assert missing.status == 422
    assert set(missing.body["errors"]) == {"message", "recipient_alias", "recipient_id"}
    to_nobody = await api.post(f"{API}/privates", alice.token,
                               json={"recipient_alias": "user", "recipient_id": "nope", "message": "x"})
    assert to_nobody.status == 404
    to_self = await api.post(f"{API}/privates", alice.token,
                             json={"recipient_alias": "user", "recipient_id": alice.id, "message": "x"})
    assert to_self.status == 404
    too_long = await api.post(f"{API}/privates", alice.token,
                              json={"recipient_alias": "user", "recipient_id": bob.id, "message": "x" * 5001})
    assert too_long.status == 422 and "message" in too_long.body["errors"]
    assert (await api.get(f"{API}/threads", alice.token)).body["data"] == []


async def test_thread_lists_page_by_updated_at(api, svc, clock):
    me = await api.register()
    others = [await api.register() for _ in range(4)]
    ids = []
    for other in others:
        clock.advance(1)
        ids.append((await private_thread(api, me, other))["id"])
    ids.reverse()  # newest first
    import messenger_gateway.core.config  # noqa: F401  (the page size is changed on the running service below)
    first = (await api.get(f"{API}/threads", me.token)).body
    assert [t["id"] for t in first["data"]] == ids
    assert first["meta"] == {"index": True, "page_id": None, "next_page_id": None, "next_page_route": None,
                             "final_page": True, "per_page": 100, "results": 4, "total": 4}
    page = (await api.get(f"{API}/threads/page/{ids[1]}", me.token)).body
    assert [t["id"] for t in page["data"]] == ids[2:]
    assert page["meta"]["index"] is False and page["meta"]["page_id"] == ids[1] and page["meta"]["final_page"] is True
    assert (await api.get(f"{API}/privates", me.token)).body["meta"]["total"] == 4
    assert (await api.get(f"{API}/groups", me.token)).body["data"] == []
    assert (await api.get(f"{API}/threads/page/nope", me.token)).status == 404
    outsider = await api.register()
    assert (await api.get(f"{API}/threads/{ids[0]}", outsider.token)).status == 403
    assert (await api.get(f"{API}/threads/page/{ids[0]}", outsider.token)).status == 404


async def test_racing_starts_of_one_conversation_make_exactly_one_thread(api, svc):
    alice, bob = await api.register(), await api.register()
    await make_friends(svc, alice.id, bob.id)

    async def start(n: int):
        return await api.post(f"{API}/privates", alice.token,
                              json={"recipient_alias": "user", "recipient_id": bob.id, "message": f"hi {n}"})

    replies = await asyncio.gather(*(start(n) for n in range(4)))
    statuses = sorted(r.status for r in replies)
    assert statuses == [201, 403, 403, 403], replies
    assert all(r.body["message"] == f"You already have an existing conversation with {bob.name}"
               for r in replies if r.status == 403)
    threads = (await api.get(f"{API}/privates", alice.token)).body["data"]
    assert len(threads) == 1
    # archived, the pair may start again
    assert (await api.delete(f"{API}/threads/{threads[0]['id']}", alice.token)).status == 200
    assert (await start(9)).status == 201
