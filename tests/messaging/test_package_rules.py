"""Rules our spec is silent on, where the package's own behaviour stands."""
from __future__ import annotations

from tests.messaging.helpers import API, group, listen, private_thread
from tests.support.factories import make_friends


async def test_a_thread_with_an_active_call_cannot_be_archived(api, svc, sockets):
    owner = await api.register("Owner")
    member = await api.register("Member")
    g = await group(api, svc, owner, [member])
    call = (await api.post(f"{API}/threads/{g['id']}/calls", owner.token, json={})).body
    member_sock = await listen(sockets, member)

    for check in ("check-archive", ""):
        method = "GET" if check else "DELETE"
        refused = await api.request(method, f"{API}/threads/{g['id']}" + (f"/{check}" if check else ""), owner.token)
        assert refused.status == 403, refused
        assert refused.body == {"message": "Not authorized to archive a thread with an active call."}
    assert (await api.get(f"{API}/threads/{g['id']}", member.token)).status == 200  # still there
    await member_sock.nothing("thread.archived")

    assert (await api.post(f"{API}/threads/{g['id']}/calls/{call['id']}/end", owner.token)).status == 200
    assert (await api.delete(f"{API}/threads/{g['id']}", owner.token)).status == 200
    await member_sock.wait_for("thread.archived")


async def test_the_creator_of_a_thread_has_read_it(api, svc):
    alice = await api.register("Alice")
    bob = await api.register("Bob")
    carol = await api.register("Carol")
    await make_friends(svc, alice.id, bob.id)
    private = await private_thread(api, alice, bob, "Hi Bob")
    assert (private["unread"], private["unread_count"]) == (False, 0)
    listed = (await api.get(f"{API}/threads", alice.token)).body["data"][0]
    assert (listed["unread"], listed["unread_count"]) == (False, 0)
    theirs = (await api.get(f"{API}/threads/{private['id']}", bob.token)).body
    assert (theirs["unread"], theirs["unread_count"]) == (True, 1)

    g = await group(api, svc, alice, [carol])
    assert (g["unread"], g["unread_count"]) == (False, 0)
    assert (await api.get(f"{API}/unread-threads-count", alice.token)).body == {"unread_threads_count": 0}
    theirs = (await api.get(f"{API}/threads/{g['id']}", carol.token)).body
    assert (theirs["unread"], theirs["unread_count"]) == (True, 2)  # "created ..." and "added Carol ..."


async def test_temporary_id_must_be_a_string(api, svc):
    alice = await api.register()
    bob = await api.register()
    g = await group(api, svc, alice, [bob])
    for bad in (7, True, ["x"], {"id": 1}):
        reply = await api.post(f"{API}/threads/{g['id']}/messages", alice.token,
                               json={"message": "hello", "temporary_id": bad})
        assert reply.status == 422, (bad, reply)
        assert reply.body["errors"] == {"temporary_id": ["The temporary id must be a string."]}
    ok = await api.post(f"{API}/threads/{g['id']}/messages", alice.token, json={"message": "hi", "temporary_id": "7"})
    assert ok.status == 201 and ok.body["temporary_id"] == "7"
    messages = (await api.get(f"{API}/threads/{g['id']}/messages", alice.token)).body["data"]
    assert [m["body"] for m in messages if not m["system_message"]] == ["hi"]  # nothing refused was stored


async def test_validation_names_every_bad_field(api, svc):
    owner = await api.register()
    g = await group(api, svc, owner, [])
    both_bad = await api.post(f"{API}/groups", owner.token,
                              json={"subject": "Team", "providers": [{"alias": "", "id": None}, {"alias": "user"}]})
    assert both_bad.status == 422
    assert both_bad.body["errors"] == {
        "providers.0.alias": ["The providers.0.alias field is required."],
        "providers.0.id": ["The providers.0.id field is required."],
        "providers.1.id": ["The providers.1.id field is required."]}
    for body in ({"default": None}, {}):
        reply = await api.post(f"{API}/threads/{g['id']}/avatar", owner.token, json=body)
        assert reply.status == 422 and reply.body["errors"] == {
            "image": ["The image field is required when default is not present."],
            "default": ["The default field is required when image is not present."]}, reply
    wrong = await api.post(f"{API}/threads/{g['id']}/avatar", owner.token, json={"default": "9.png"})
    assert wrong.status == 422 and wrong.body["errors"] == {"default": ["The selected default is invalid."]}


async def test_another_users_friend_row_is_forbidden_not_missing(api, svc):
    alice = await api.register()
    bob = await api.register()
    mallory = await api.register()
    alice_row, _ = await make_friends(svc, alice.id, bob.id)
    for method, refusal in (("GET", "Not authorized to view that friend."),
                            ("DELETE", "Not authorized to remove that friend.")):
        reply = await api.request(method, f"{API}/friends/{alice_row}", mallory.token)
        assert (reply.status, reply.body) == (403, {"message": refusal})
        missing = await api.request(method, f"{API}/friends/no-such-row", mallory.token)
        assert missing.status == 404
    assert [f["id"] for f in (await api.get(f"{API}/friends", alice.token)).body] == [alice_row]  # untouched
    assert (await api.get(f"{API}/friends/{alice_row}", alice.token)).status == 200
