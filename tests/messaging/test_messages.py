"""Messages: paging, images and documents with their files, edits with history, archive, and the loader."""
from __future__ import annotations

import io

import aiohttp
import pytest
from PIL import Image

from tests.messaging.helpers import API, group, listen, private_thread
from tests.support.factories import make_friends


@pytest.fixture
def config_overrides():
    return {"messenger": {"collections": {"messages_index_count": 3, "messages_page_count": 2,
                                          "participants_index_count": 2, "participants_page_count": 1}}}


def upload(field: str, data: bytes, filename: str, content_type: str, **fields: str) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for key, value in fields.items():
        form.add_field(key, value)
    form.add_field(field, data, filename=filename, content_type=content_type)
    return form


def jpeg(width: int = 640, height: int = 480) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


async def test_messages_page_newest_first(api, svc, clock):
    alice = await api.register()
    bob = await api.register()
    await make_friends(svc, alice.id, bob.id)
    thread = await private_thread(api, alice, bob, "m0")
    for n in range(1, 6):
        clock.advance(1)
        sent = await api.post(f"{API}/threads/{thread['id']}/messages", bob.token, json={"message": f"m{n}"})
        assert sent.status == 201
    first = (await api.get(f"{API}/threads/{thread['id']}/messages", alice.token)).body
    assert [m["body"] for m in first["data"]] == ["m5", "m4", "m3"]
    last_id = first["data"][-1]["id"]
    assert first["meta"] == {"index": True, "page_id": None, "next_page_id": last_id,
                             "next_page_route": f"{API}/threads/{thread['id']}/messages/page/{last_id}",
                             "final_page": False, "per_page": 3, "results": 3, "total": 6}
    second = (await api.get(first["meta"]["next_page_route"], alice.token)).body
    assert [m["body"] for m in second["data"]] == ["m2", "m1"]
    assert second["meta"]["index"] is False and second["meta"]["final_page"] is False
    third = (await api.get(second["meta"]["next_page_route"], alice.token)).body
    assert [m["body"] for m in third["data"]] == ["m0"] and third["meta"]["final_page"] is True
    assert third["meta"]["next_page_route"] is None
    # unread count counts what arrived after my last read
    assert (await api.get(f"{API}/threads/{thread['id']}", alice.token)).body["unread_count"] == 5
    other = await private_thread(api, alice, await api.register(), "elsewhere")
    foreign = await api.get(f"{API}/threads/{other['id']}/messages/{first['data'][0]['id']}", alice.token)
    assert foreign.status == 404 and foreign.body == {"message": "Unable to locate the message you requested."}
    assert (await api.get(f"{API}/threads/{other['id']}/messages/page/{last_id}", alice.token)).status == 404
    shown = await api.get(f"{API}/threads/{thread['id']}/messages/{first['data'][0]['id']}", alice.token)
    assert shown.body == {**first["data"][0]}


async def test_loader_and_participant_paging(api, svc, clock):
    owner = await api.register()
    members = [await api.register() for _ in range(3)]
    g = await group(api, svc, owner, members)
    loaded = (await api.get(f"{API}/threads/{g['id']}/load/participants|messages|mark-read", members[0].token)).body
    assert [m["body"] for m in loaded["resources"]["messages"]["data"]] == [
        "added User 2, User 3 and User 4 to the group", "created Team chat"]
    participants = loaded["resources"]["participants"]
    assert participants["meta"]["total"] == 4 and participants["meta"]["results"] == 2
    assert participants["meta"]["final_page"] is False
    seen = [p["id"] for p in participants["data"]]
    route = participants["meta"]["next_page_route"]
    while route:
        page = (await api.get(route, owner.token)).body
        seen += [p["id"] for p in page["data"]]
        route = page["meta"]["next_page_route"]
    assert len(seen) == len(set(seen)) == 4
    assert (await api.get(f"{API}/threads/{g['id']}/is-unread", members[0].token)).body == {"unread": False}
    assert (await api.get(f"{API}/threads/{g['id']}/load/bogus", owner.token)).status == 404
    plain = (await api.get(f"{API}/threads/{g['id']}/load", owner.token)).body
    assert set(plain["resources"]) == {"latest_message"}


async def test_images_are_stored_with_renditions(api, svc, sockets):
    alice = await api.register()
    bob = await api.register()
    await make_friends(svc, alice.id, bob.id)
    thread = await private_thread(api, alice, bob)
    bob_sock = await listen(sockets, bob)
    sent = await api.post(f"{API}/threads/{thread['id']}/images", alice.token,
                          data=upload("image", jpeg(), "photo.jpg", "image/jpeg", temporary_id="t-9"))
    assert sent.status == 201
    body = sent.body
    assert (body["type"], body["type_verbose"], body["temporary_id"]) == (1, "IMAGE_MESSAGE", "t-9")
    assert body["body"].startswith("img_") and body["body"].endswith(".jpg")
    assert body["api_image"]["sm"] == f"{API}/threads/{thread['id']}/gallery/{body['id']}/sm/{body['body']}"
    (event,) = await bob_sock.wait_for("new.message")
    assert event[1]["api_image"] == body["api_image"] and event[1]["temporary_id"] == "t-9"
    sizes = {}
    for size in ("sm", "md", "lg"):
        got = await api.get(body["api_image"][size], bob.token)
        assert got.status == 200
        sizes[size] = Image.open(io.BytesIO(got.raw)).size
    assert sizes == {"sm": (200, 150), "md": (400, 300), "lg": (640, 480)}
    wrong_name = await api.get(f"{API}/threads/{thread['id']}/gallery/{body['id']}/sm/other.jpg", bob.token)
    assert wrong_name.raw == svc.files.asset("image404.png").read_bytes()
    assert (await api.get(body["api_image"]["sm"], (await api.register()).token)).status == 403
    listed = (await api.get(f"{API}/threads/{thread['id']}/images", bob.token)).body
    assert [m["id"] for m in listed["data"]] == [body["id"]]
    not_image = await api.post(f"{API}/threads/{thread['id']}/images", alice.token,
                               data=upload("image", b"%PDF-1.4 nope", "x.jpg", "image/jpeg"))
    assert not_image.status == 422 and not_image.body["errors"] == {"image": ["The image must be an image."]}
    missing = await api.post(f"{API}/threads/{thread['id']}/images", alice.token, json={})
    assert missing.status == 422 and missing.body["errors"] == {"image": ["The image field is required."]}
    assert (await api.get(f"{API}/threads/{thread['id']}/messages", alice.token)).body["meta"]["total"] == 2


async def test_documents_download_safely(api, svc):
    alice = await api.register()
    bob = await api.register()
    await make_friends(svc, alice.id, bob.id)
    thread = await private_thread(api, alice, bob)
    content = b"%PDF-1.4 report body"
    sent = await api.post(f"{API}/threads/{thread['id']}/documents", alice.token,
                          data=upload("document", content, 'Q3 "report"; rm -rf.pdf', "application/pdf"))
    assert sent.status == 201
    name = sent.body["body"]
    assert name.endswith(".pdf") and '"' not in name and " " not in name and ";" not in name
    assert sent.body["api_document"] == f"{API}/threads/{thread['id']}/files/{sent.body['id']}/{name}"
    got = await api.get(sent.body["api_document"], bob.token)
    assert got.status == 200 and got.raw == content
    # the uploaded name (as the client sent it, made safe), without our time and random parts
    assert got.headers["Content-Disposition"] == 'attachment; filename="Q3_20_22report_22_3B_20rm_20-rf.pdf"'
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert (await api.get(f"{API}/threads/{thread['id']}/files/{sent.body['id']}/other.pdf", bob.token)).status == 404
    exe = await api.post(f"{API}/threads/{thread['id']}/documents", alice.token,
                         data=upload("document", b"MZ...", "setup.exe", "application/octet-stream"))
    assert exe.status == 422 and "document" in exe.body["errors"]
    assert [m["id"] for m in (await api.get(f"{API}/threads/{thread['id']}/documents", bob.token)).body["data"]] == \
        [sent.body["id"]]
    # a private thread can start with a document
    carol = await api.register()
    started = await api.post(f"{API}/privates", alice.token, data=upload(
        "document", b"hello", "notes.txt", "text/plain", recipient_alias="user", recipient_id=carol.id))
    assert started.status == 201
    assert started.body["resources"]["latest_message"]["type_verbose"] == "DOCUMENT_MESSAGE"


async def test_edit_keeps_history_and_archive_is_pushed(api, svc, sockets, clock):
    owner = await api.register()
    member = await api.register()
    g = await group(api, svc, owner, [member])
    channel = f"presence-messenger.thread.{g['id']}"
    member_sock = await listen(sockets, member, channel)
    clock.advance(1)
    sent = (await api.post(f"{API}/threads/{g['id']}/messages", member.token, json={"message": "helo"})).body
    assert sent["meta"]["thread_name"] == "Team chat" and sent["edited"] is False
    assert (await api.put(f"{API}/threads/{g['id']}/messages/{sent['id']}", owner.token,
                          json={"message": "x"})).status == 403
    clock.advance(1)
    edited = await api.put(f"{API}/threads/{g['id']}/messages/{sent['id']}", member.token, json={"message": "hello"})
    assert edited.status == 200 and edited.body["body"] == "hello" and edited.body["edited"] is True
    assert edited.body["edited_history_route"] == f"{API}/threads/{g['id']}/messages/{sent['id']}/history"
    (event,) = await member_sock.wait_for("message.edited", channel)
    assert event[1]["body"] == "hello" and event[1]["edited"] is True
    history = (await api.get(edited.body["edited_history_route"], owner.token)).body
    assert [h["body"] for h in history] == ["helo"]
    assert (await api.put(f"{API}/threads/{g['id']}/messages/{sent['id']}", member.token, json={})).status == 422

    logs = (await api.get(f"{API}/threads/{g['id']}/logs", owner.token)).body["data"]
    refused = await api.delete(f"{API}/threads/{g['id']}/messages/{logs[0]['id']}", owner.token)
    assert refused.status == 403  # system messages stay
    other = await api.register()
    await make_friends(svc, owner.id, other.id)
    assert (await api.delete(f"{API}/threads/{g['id']}/messages/{sent['id']}", other.token)).status == 403
    removed = await api.delete(f"{API}/threads/{g['id']}/messages/{sent['id']}", owner.token)  # a group admin may
    assert removed.status == 200
    (archived,) = await member_sock.wait_for("message.archived")
    assert archived[1] == {"message_id": sent["id"], "thread_id": g["id"]}
    assert (await api.get(f"{API}/threads/{g['id']}/messages/{sent['id']}", owner.token)).status == 404


async def test_every_list_pages_from_its_pivot(api, svc, clock):
    owner = await api.register()
    members = [await api.register() for _ in range(3)]
    g = await group(api, svc, owner, members)
    base = f"{API}/threads/{g['id']}"
    for n in range(3):
        clock.advance(1)
        await api.post(f"{base}/images", owner.token, data=upload("image", jpeg(64, 64), f"p{n}.jpg", "image/jpeg"))
        clock.advance(1)
        await api.post(f"{base}/documents", owner.token, data=upload("document", b"doc", f"d{n}.txt", "text/plain"))
        clock.advance(1)
        await api.put(f"{base}/settings", owner.token, json={
            "subject": f"Name {n}", "add_participants": True, "invitations": True, "calling": True,
            "messaging": True, "knocks": True})
        clock.advance(1)
        call = (await api.post(f"{base}/calls", owner.token, json={})).body
        await api.post(f"{base}/calls/{call['id']}/end", owner.token)
    for kind, total in (("images", 3), ("documents", 3), ("logs", 8), ("calls", 3), ("participants", 4)):
        seen, route = [], f"{base}/{kind}"
        while route:
            page = (await api.get(route, members[0].token)).body
            assert page["meta"]["total"] == total, (kind, page["meta"])
            seen += [item["id"] for item in page["data"]]
            route = page["meta"]["next_page_route"]
        assert len(seen) == len(set(seen)) == total, kind
    # privates and groups page the same way
    for n in range(3):
        clock.advance(1)
        await private_thread(api, owner, await api.register())
    privates = (await api.get(f"{API}/privates", owner.token)).body["data"]
    page = (await api.get(f"{API}/privates/page/{privates[0]['id']}", owner.token)).body
    assert [t["id"] for t in page["data"]] == [t["id"] for t in privates[1:]]
    assert (await api.get(f"{API}/groups/page/{g['id']}", owner.token)).body["data"] == []
    assert (await api.get(f"{API}/groups/page/{privates[0]['id']}", owner.token)).status == 404
    # one call participant, and a call of this thread only
    call_id = (await api.get(f"{base}/calls", owner.token)).body["data"][0]["id"]
    (row,) = (await api.get(f"{base}/calls/{call_id}/participants", owner.token)).body
    shown = await api.get(f"{base}/calls/{call_id}/participants/{row['id']}", members[0].token)
    assert shown.status == 200 and shown.body["owner_id"] == owner.id and shown.body["left_call"] is not None


async def test_same_named_documents_in_the_same_second_never_replace_each_other(api, svc):
    alice, bob = await api.register(), await api.register()
    await make_friends(svc, alice.id, bob.id)
    thread = await private_thread(api, alice, bob)
    base = f"{API}/threads/{thread['id']}/documents"
    # the test clock does not move: both uploads happen in the same second, with the same file name
    first = await api.post(base, alice.token, data=upload("document", b"alice's report", "report.pdf", "application/pdf"))
    second = await api.post(base, bob.token, data=upload("document", b"bob's report", "report.pdf", "application/pdf"))
    assert first.status == second.status == 201
    assert first.body["body"] != second.body["body"]
    assert all(len(m.body["body"].rsplit("_", 1)[1]) == len("0123456789abcdef.pdf") for m in (first, second))
    for sent, content in ((first, b"alice's report"), (second, b"bob's report")):
        got = await api.get(sent.body["api_document"], alice.token)
        assert got.status == 200 and got.raw == content
        assert got.headers["Content-Disposition"] == 'attachment; filename="report.pdf"'
    # guessing the old pattern (name and second) finds nothing
    guessed = first.body["body"].rsplit("_", 1)[0] + ".pdf"
    assert (await api.get(f"{API}/threads/{thread['id']}/files/{first.body['id']}/{guessed}", bob.token)).status == 404
