"""Group invites: create with limits, list, archive, the public preview and joining by code."""
from __future__ import annotations

import aiohttp

from tests.messaging.helpers import API, group, listen
from tests.support.http import Api


async def test_invite_lifecycle(api, svc, sockets, clock):
    owner = await api.register("Owner")
    member = await api.register("Member")
    g = await group(api, svc, owner, [member], subject="Book club")
    owner_sock = await listen(sockets, owner)
    created = await api.post(f"{API}/threads/{g['id']}/invites", owner.token, json={"expires": 2, "uses": 1})
    assert created.status == 201
    invite = created.body
    assert list(invite) == ["owner", "route", "id", "thread_id", "owner_type", "owner_id", "code", "max_use", "uses",
                            "expires_at", "created_at", "updated_at", "deleted_at"]
    assert len(invite["code"]) == 8 and invite["code"] == invite["code"].upper()
    assert invite["route"].startswith("http://") and invite["route"].endswith(f"/messenger/join/{invite['code']}")
    assert (invite["max_use"], invite["uses"], invite["deleted_at"]) == (1, 0, None)
    assert invite["expires_at"] is not None
    listed = (await api.get(f"{API}/threads/{g['id']}/invites", owner.token)).body
    assert [i["id"] for i in listed["data"]] == [invite["id"]] and listed["meta"] == {"total": 1, "max_allowed": 3}
    assert (await api.get(f"{API}/threads/{g['id']}/invites", member.token)).status == 403  # no manage_invites

    guest = await api.get(f"{API}/join/{invite['code']}")
    assert guest.status == 200 and "owner" not in guest.body
    assert guest.body["options"] == {"messenger_auth": False, "in_thread": False, "thread_name": "Book club",
                                     "is_valid": True}
    assert (await api.get(f"{API}/join/{invite['code']}", member.token)).body["options"]["in_thread"] is True

    newcomer = await api.register("Newcomer")
    clock.advance(1)
    joined = await api.post(f"{API}/join/{invite['code']}", newcomer.token)
    assert joined.status == 201 and joined.body["owner_id"] == newcomer.id and joined.body["thread_id"] == g["id"]
    (message,) = await owner_sock.wait_for("new.message")
    assert message[1]["body"] == "joined the group" and message[1]["type_verbose"] == "PARTICIPANT_JOINED_WITH_INVITE"
    assert (await api.get(f"{API}/threads/{g['id']}", newcomer.token)).status == 200
    # used up: the next person is refused, and the invite no longer counts as valid
    late = await api.register()
    assert (await api.post(f"{API}/join/{invite['code']}", late.token)).status == 403
    used_up = (await api.get(f"{API}/join/{invite['code']}", late.token)).body["options"]
    assert (used_up["is_valid"], used_up["thread_name"]) == (False, "Group Not Found")  # the name stays hidden
    assert (await api.get(f"{API}/threads/{g['id']}/invites", owner.token)).body["data"] == []
    assert (await api.post(f"{API}/join/{invite['code']}")).status == 401
    assert (await api.get(f"{API}/join/NOSUCHCD")).status == 404


async def test_invite_limits_expiry_and_archive(api, svc, clock):
    owner = await api.register()
    g = await group(api, svc, owner, [])
    bad = await api.post(f"{API}/threads/{g['id']}/invites", owner.token, json={"expires": 9, "uses": 101})
    assert bad.status == 422 and set(bad.body["errors"]) == {"expires", "uses"}
    codes = []
    for _ in range(3):
        reply = await api.post(f"{API}/threads/{g['id']}/invites", owner.token, json={"expires": 1, "uses": 0})
        assert reply.status == 201
        codes.append(reply.body)
    over = await api.post(f"{API}/threads/{g['id']}/invites", owner.token, json={"expires": 0, "uses": 0})
    assert over.status == 403
    assert (await api.delete(f"{API}/threads/{g['id']}/invites/{codes[0]['id']}", owner.token)).status == 200
    assert (await api.get(f"{API}/join/{codes[0]['code']}")).status == 404
    other = await group(api, svc, owner, [], subject="Other")
    assert (await api.delete(f"{API}/threads/{other['id']}/invites/{codes[1]['id']}", owner.token)).status == 404
    clock.advance(31 * 60)  # "30 minutes" invites expire
    stranger = await api.register()
    assert (await api.get(f"{API}/join/{codes[1]['code']}")).body["options"]["is_valid"] is False
    assert (await api.post(f"{API}/join/{codes[1]['code']}", stranger.token)).status == 403
    assert (await api.get(f"{API}/threads/{g['id']}/invites", owner.token)).body["meta"]["total"] == 0
    # turning invitations off in the group settings invalidates every code
    fresh = (await api.post(f"{API}/threads/{g['id']}/invites", owner.token, json={"expires": 0, "uses": 0})).body
    await api.put(f"{API}/threads/{g['id']}/settings", owner.token, json={
        "subject": "Team chat", "add_participants": True, "invitations": False, "calling": True, "messaging": True,
        "knocks": True})
    assert (await api.post(f"{API}/join/{fresh['code']}", stranger.token)).status == 403


async def test_switching_invites_off_stops_existing_links(api, svc, make_server):
    owner = await api.register("Owner")
    member = await api.register("Member")
    g = await group(api, svc, owner, [member], subject="Closed club")
    code = (await api.post(f"{API}/threads/{g['id']}/invites", owner.token, json={"expires": 0, "uses": 0})).body["code"]
    assert (await api.get(f"{API}/join/{code}")).status == 200
    # the same database, served with invites switched off
    off = await make_server(messenger={"invites": {"enabled": False}})
    async with aiohttp.ClientSession() as http:
        api_off = Api(str(off.make_url("/")), http)
        newcomer = await api_off.register()
        for reply in (await api_off.get(f"{API}/join/{code}"), await api_off.post(f"{API}/join/{code}", newcomer.token)):
            assert reply.status == 403 and reply.body == {"message": "Group invites are currently disabled."}
        assert (await api_off.get(f"{API}/threads/{g['id']}", newcomer.token)).status in (403, 404)


async def test_only_admins_read_group_settings(api, svc):
    owner = await api.register("Owner")
    member = await api.register("Member")
    g = await group(api, svc, owner, [member])
    assert (await api.get(f"{API}/threads/{g['id']}/settings", owner.token)).status == 200
    denied = await api.get(f"{API}/threads/{g['id']}/settings", member.token)
    assert denied.status == 403 and denied.body == {"message": "Not authorized to view that group's settings."}
