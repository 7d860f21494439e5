"""Group threads: create, settings, avatar, participants and their permissions, leave, archive, knock, mute."""
from __future__ import annotations

import io
import json

from PIL import Image

from tests.messaging.helpers import API, group, listen
from tests.support.factories import make_friends


def png(width: int = 400, height: int = 200) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


async def test_create_group_adds_friends_and_names_the_skipped(api, svc, sockets):
    owner = await api.register("Owner")
    friend = await api.register("Friend")
    stranger = await api.register("Stranger")
    await make_friends(svc, owner.id, friend.id)
    friend_sock = await listen(sockets, friend)
    stranger_sock = await listen(sockets, stranger)
    reply = await api.post(f"{API}/groups", owner.token, json={"subject": "Weekend", "providers": [
        {"alias": "user", "id": friend.id}, {"alias": "user", "id": stranger.id}, {"alias": "user", "id": "missing"}]})
    assert reply.status == 201
    assert json.loads(reply.headers["X-Skipped-Providers"]) == [
        {"alias": "user", "id": stranger.id, "reason": "not_friend"},
        {"alias": "user", "id": "missing", "reason": "not_found"}]
    g = reply.body
    assert (g["type"], g["type_verbose"], g["group"], g["name"], g["pending"]) == (2, "GROUP", True, "Weekend", False)
    assert "recipient" not in g["resources"]
    assert g["options"] == {"admin": True, "muted": False, "add_participants": True, "invitations": True,
                            "call": True, "message": True, "knock": True}
    image = g["avatar"]["sm"].rsplit("/", 1)[1]
    assert image in {f"{n}.png" for n in range(1, 6)}
    assert g["api_avatar"]["md"] == f"{API}/threads/{g['id']}/avatar/md/{image}"
    # as the package does: "created Weekend", then "added Friend to the group"; both read for their author
    assert g["resources"]["latest_message"]["body"] == "added Friend to the group"
    assert g["resources"]["latest_message"]["system_message"] is True
    assert g["resources"]["latest_message"]["type_verbose"] == "PARTICIPANTS_ADDED"
    assert (g["unread"], g["unread_count"]) == (False, 0)
    logs = (await api.get(f"{API}/threads/{g['id']}/logs", owner.token)).body["data"]
    assert [(m["type_verbose"], m["body"]) for m in logs] == [
        ("PARTICIPANTS_ADDED", "added Friend to the group"), ("GROUP_CREATED", "created Weekend")]
    (event,) = await friend_sock.wait_for("new.thread")
    assert event[1]["thread"]["name"] == "Weekend" and event[1]["thread"]["group"] is True
    assert event[1]["thread"]["avatar"] == g["avatar"]
    await stranger_sock.nothing("new.thread")
    assert (await api.get(f"{API}/threads/{g['id']}", stranger.token)).status == 403
    members = (await api.get(f"{API}/threads/{g['id']}/participants", owner.token)).body
    rows = {p["owner_id"]: p for p in members["data"]}
    assert set(rows) == {owner.id, friend.id}
    assert rows[owner.id]["admin"] is True and rows[friend.id]["admin"] is False
    assert rows[friend.id]["send_messages"] is True and rows[friend.id]["start_calls"] is False
    assert list(rows[friend.id]) == ["id", "admin", "pending", "send_knocks", "send_messages", "add_participants",
                                        "manage_invites", "start_calls", "owner_id", "owner_type", "owner",
                                        "created_at", "updated_at", "last_read"]
    assert rows[friend.id]["owner"]["options"]["friend_status"] == 1
    assert rows[owner.id]["last_read"]["time"] is not None
    assert rows[friend.id]["last_read"] == {"time": None, "message_id": None}
    member_view = (await api.get(f"{API}/threads/{g['id']}", friend.token)).body
    assert member_view["options"]["admin"] is False and member_view["options"]["call"] is False
    bad = await api.post(f"{API}/groups", owner.token, json={"subject": "ab", "providers": [{"alias": "user"}]})
    assert bad.status == 422 and set(bad.body["errors"]) == {"subject", "providers.0.id"}


async def test_settings_avatar_and_their_presence_events(api, svc, sockets, clock):
    owner = await api.register("Owner")
    member = await api.register("Member")
    g = await group(api, svc, owner, [member])
    channel = f"presence-messenger.thread.{g['id']}"
    member_sock = await listen(sockets, member, channel)
    settings = (await api.get(f"{API}/threads/{g['id']}/settings", owner.token)).body  # admins only
    assert settings == {"name": "Team chat", "api_avatar": g["api_avatar"], "avatar": g["avatar"],
                        "add_participants": True, "invitations": True, "calling": True, "messaging": True,
                        "knocks": True}
    new = {"subject": "Renamed", "add_participants": True, "invitations": True, "calling": False,
           "messaging": True, "knocks": False}
    assert (await api.put(f"{API}/threads/{g['id']}/settings", member.token, json=new)).status == 403
    clock.advance(1)
    updated = await api.put(f"{API}/threads/{g['id']}/settings", owner.token, json=new)
    assert updated.status == 200 and updated.body["name"] == "Renamed" and updated.body["calling"] is False
    (event,) = await member_sock.wait_for("thread.settings", channel)
    assert event[1]["sender"]["provider_id"] == owner.id and event[1]["name"] == "Renamed"
    assert list(event[1]) == ["sender", "name", "api_avatar", "avatar", "add_participants", "invitations",
                              "calling", "messaging", "knocks"]
    (renamed,) = await member_sock.wait_for("new.message")
    assert renamed[1]["body"] == "renamed the group to Renamed" and renamed[1]["type"] == 94
    bad = await api.put(f"{API}/threads/{g['id']}/settings", owner.token, json={"subject": "x"})
    assert bad.status == 422 and set(bad.body["errors"]) == {"subject", "add_participants", "invitations",
                                                              "calling", "messaging", "knocks"}

    clock.advance(1)
    pick = "5.png" if not g["avatar"]["sm"].endswith("/5.png") else "4.png"  # the group starts with a random one
    chosen = await api.post(f"{API}/threads/{g['id']}/avatar", owner.token, json={"default": pick})
    assert chosen.status == 200 and chosen.body["avatar"]["sm"].endswith(f"/avatar/sm/{pick}")
    (avatar_event,) = await member_sock.wait_for("thread.avatar", channel)
    assert avatar_event[1]["avatar"] == chosen.body["avatar"]
    served = await api.get(f"{API}/threads/{g['id']}/avatar/sm/{pick}", member.token)
    assert served.status == 200 and served.raw == (svc.files.asset(pick)).read_bytes()
    assert (await api.post(f"{API}/threads/{g['id']}/avatar", owner.token, json={"default": "9.png"})).status == 422
    assert (await api.post(f"{API}/threads/{g['id']}/avatar", member.token, json={"default": "1.png"})).status == 403
    import aiohttp

    form = aiohttp.FormData()
    form.add_field("image", png(), filename="group.png", content_type="image/png")
    clock.advance(1)
    uploaded = await api.post(f"{API}/threads/{g['id']}/avatar", owner.token, data=form)
    assert uploaded.status == 200
    name = uploaded.body["avatar"]["md"].rsplit("/", 1)[1]
    assert name.startswith("img_") and name.endswith(".png")
    md = await api.get(f"{API}/threads/{g['id']}/avatar/md/{name}", member.token)
    assert md.status == 200 and Image.open(io.BytesIO(md.raw)).size == (600, 300)
    stale = await api.get(f"{API}/threads/{g['id']}/avatar/md/{pick}", member.token)
    assert stale.raw == svc.files.asset("image404.png").read_bytes()
    logs = (await api.get(f"{API}/threads/{g['id']}/logs", member.token)).body
    assert [m["body"] for m in logs["data"]] == ["updated the groups avatar", "updated the groups avatar",
                                                 "renamed the group to Renamed", "added Member to the group",
                                                 "created Team chat"]


async def test_participant_management_and_events(api, svc, sockets, clock):
    owner = await api.register("Owner")
    ann = await api.register("Ann")
    ben = await api.register("Ben")
    g = await group(api, svc, owner, [ann])
    ann_sock = await listen(sockets, ann)
    ben_sock = await listen(sockets, ben)
    # only friends may be added; a stranger is named as skipped, not silently dropped
    skipped = await api.post(f"{API}/threads/{g['id']}/participants", owner.token,
                             json={"providers": [{"alias": "user", "id": ben.id}]})
    assert skipped.status == 200 and skipped.body == []
    assert json.loads(skipped.headers["X-Skipped-Providers"])[0]["reason"] == "not_friend"
    await make_friends(svc, owner.id, ben.id)
    candidates = (await api.get(f"{API}/threads/{g['id']}/add-participants", owner.token)).body
    assert [c["party_id"] for c in candidates] == [ben.id]
    clock.advance(1)
    added = await api.post(f"{API}/threads/{g['id']}/participants", owner.token,
                           json={"providers": [{"alias": "user", "id": ben.id}, {"alias": "user", "id": ann.id}]})
    assert [p["owner_id"] for p in added.body] == [ben.id]
    assert list(added.body[0]) == ["owner_id", "owner_type", "thread_id", "id", "updated_at", "created_at"]
    assert json.loads(added.headers["X-Skipped-Providers"]) == [
        {"alias": "user", "id": ann.id, "reason": "already_participant"}]
    (new_thread,) = await ben_sock.wait_for("new.thread")
    assert new_thread[1]["thread"]["id"] == g["id"]
    (added_message,) = await ann_sock.wait_for("new.message")
    assert added_message[1]["body"] == "added Ben to the group" and added_message[1]["type_verbose"] == "PARTICIPANTS_ADDED"
    assert (await api.get(f"{API}/threads/{g['id']}/participants", ann.token)).status == 200
    refused = await api.post(f"{API}/threads/{g['id']}/participants", ann.token,
                             json={"providers": [{"alias": "user", "id": owner.id}]})
    assert refused.status == 403

    ann_row = next(p for p in (await api.get(f"{API}/threads/{g['id']}/participants", owner.token)).body["data"]
                   if p["owner_id"] == ann.id)
    perms = {"send_messages": False, "send_knocks": True, "start_calls": True, "add_participants": False,
             "manage_invites": False}
    assert (await api.put(f"{API}/threads/{g['id']}/participants/{ann_row['id']}", ann.token, json=perms)).status == 403
    changed = await api.put(f"{API}/threads/{g['id']}/participants/{ann_row['id']}", owner.token, json=perms)
    assert changed.status == 200 and changed.body["send_messages"] is False and changed.body["start_calls"] is True
    assert (await ann_sock.wait_for("permissions.updated"))[0][1] == {"thread_id": g["id"]}
    muted = await api.post(f"{API}/threads/{g['id']}/messages", ann.token, json={"message": "hi"})
    assert muted.status == 403 and muted.body == {"message": "Not authorized to send messages."}
    assert (await api.put(f"{API}/threads/{g['id']}/participants/{ann_row['id']}", owner.token,
                          json={"send_messages": "yes"})).status == 422

    promoted = await api.post(f"{API}/threads/{g['id']}/participants/{ann_row['id']}/promote", owner.token)
    assert promoted.status == 200 and promoted.body["admin"] is True and promoted.body["send_messages"] is True
    assert (await ann_sock.wait_for("promoted.admin"))[0][1] == {"thread_id": g["id"]}
    assert (await ben_sock.wait_for("new.message", count=2))[-1][1]["body"] == "promoted Ann to administrator"
    demoted = await api.post(f"{API}/threads/{g['id']}/participants/{ann_row['id']}/demote", owner.token)
    assert demoted.body["admin"] is False
    assert (await ann_sock.wait_for("demoted.admin"))[0][1] == {"thread_id": g["id"]}

    ben_row = next(p for p in (await api.get(f"{API}/threads/{g['id']}/participants", owner.token)).body["data"]
                   if p["owner_id"] == ben.id)
    assert (await api.delete(f"{API}/threads/{g['id']}/participants/{ben_row['id']}", ann.token)).status == 403
    removed = await api.delete(f"{API}/threads/{g['id']}/participants/{ben_row['id']}", owner.token)
    assert removed.status == 200
    assert (await ben_sock.wait_for("thread.left"))[0][1] == {"thread_id": g["id"]}
    assert (await api.get(f"{API}/threads/{g['id']}", ben.token)).status == 403
    assert (await api.get(f"{API}/threads/{g['id']}/participants/{ben_row['id']}", owner.token)).status == 404
    other = await group(api, svc, owner, [], subject="Other")
    foreign = await api.get(f"{API}/threads/{other['id']}/participants/{ann_row['id']}", owner.token)
    assert foreign.status == 404 and foreign.body == {"message": "Unable to locate the participant you requested."}


async def test_leave_requires_another_admin(api, svc, sockets):
    owner = await api.register()
    member = await api.register()
    g = await group(api, svc, owner, [member])
    owner_sock = await listen(sockets, owner)
    refused = await api.post(f"{API}/threads/{g['id']}/leave", owner.token)
    assert refused.status == 403
    assert refused.body == {"message": "You must promote a new group admin before you may leave."}
    left = await api.post(f"{API}/threads/{g['id']}/leave", member.token)
    assert left.status == 200
    (message,) = await owner_sock.wait_for("new.message")
    assert message[1]["body"] == "left the group"
    assert (await api.get(f"{API}/groups", member.token)).body["data"] == []
    alone = await api.post(f"{API}/threads/{g['id']}/leave", owner.token)
    assert alone.status == 200


async def test_archive_knock_and_mute(api, svc, sockets, clock):
    owner = await api.register("Owner")
    member = await api.register("Member")
    g = await group(api, svc, owner, [member])
    member_sock = await listen(sockets, member)
    owner_sock = await listen(sockets, owner)
    assert (await api.post(f"{API}/threads/{g['id']}/knock-knock", owner.token)).body == {"message": "success"}
    (knock,) = await member_sock.wait_for("knock.knock")
    assert knock[1]["thread"]["id"] == g["id"] and knock[1]["thread"]["name"] == "Team chat"
    assert list(knock[1]["thread"]) == ["id", "type", "type_verbose", "group", "name", "api_avatar", "avatar"]
    await owner_sock.nothing("knock.knock")
    again = await api.post(f"{API}/threads/{g['id']}/knock-knock", owner.token)
    assert again.status == 429 and again.body["message"].startswith("You can't knock at Team chat for another")
    assert int(again.headers["Retry-After"]) > 0
    clock.advance(5 * 60 + 1)
    assert (await api.post(f"{API}/threads/{g['id']}/knock-knock", owner.token)).status == 200
    assert (await api.post(f"{API}/threads/{g['id']}/knock-knock", member.token)).status == 403  # no send_knocks

    assert (await api.post(f"{API}/threads/{g['id']}/mute", member.token)).status == 200
    assert (await api.get(f"{API}/threads/{g['id']}", member.token)).body["options"]["muted"] is True
    await api.post(f"{API}/threads/{g['id']}/messages", owner.token, json={"message": "anyone?"})
    await owner_sock.wait_for("new.message")
    await member_sock.nothing("new.message")
    assert (await api.post(f"{API}/threads/{g['id']}/unmute", member.token)).status == 200

    summary = await api.get(f"{API}/threads/{g['id']}/check-archive", owner.token)
    assert summary.body == {"name": "Team chat", "group": True, "created_at": g["created_at"],
                            "messages_count": 3, "participants_count": 2, "calls_count": 0}
    assert (await api.get(f"{API}/threads/{g['id']}/check-archive", member.token)).status == 403
    assert (await api.delete(f"{API}/threads/{g['id']}", member.token)).status == 403
    assert (await api.delete(f"{API}/threads/{g['id']}", owner.token)).status == 200
    for sock in (owner_sock, member_sock):
        assert (await sock.wait_for("thread.archived"))[0][1] == {"thread_id": g["id"]}
    assert (await api.get(f"{API}/threads/{g['id']}", member.token)).status == 404
    assert (await api.get(f"{API}/threads/{g['id']}/messages", owner.token)).status == 404


async def test_the_skipped_providers_header_has_a_size_bound(api, svc):
    owner, friend = await api.register(), await api.register()
    g = await group(api, svc, owner, [friend])
    too_long = await api.post(f"{API}/threads/{g['id']}/participants", owner.token,
                              json={"providers": [{"alias": "user", "id": "x" * 65}]})
    assert too_long.status == 422 and "providers.0" in too_long.body["errors"]
    many = [{"alias": "user", "id": f"{n:064d}"} for n in range(100)]  # 100 unknown providers, ids at the limit
    skipped = await api.post(f"{API}/threads/{g['id']}/participants", owner.token, json={"providers": many})
    assert skipped.status == 200, skipped
    header = skipped.headers["X-Skipped-Providers"]
    shown = json.loads(header)
    assert len(header) <= 8192 and 0 < len(shown) < 100  # whole items, as many as fit
    assert [(s["id"], s["reason"]) for s in shown] == [(m["id"], "not_found") for m in many[: len(shown)]]
