"""The messenger web client at /messenger in Chromium, as people use it: two or three browser contexts talking to
one real server (HTTP and Socket.IO), every change seen live on the other side."""
from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from PIL import Image

from messenger_gateway.core.services import SERVICES
from tests.browser.client import befriend, log_in, open_client, register, shot
from tests.support.factories import make_messages, make_thread
from tests.support.http import Api, User

pytestmark = pytest.mark.timeout(180)

SERVER = {"presence": {"sweep_interval_seconds": 0.1, "offline_grace_seconds": 0}}


async def test_two_friends_talk_live_with_typing_receipts_and_online_dots(make_server, browser, clock):
    server = await make_server(**SERVER)
    base = str(server.make_url("")).rstrip("/")
    alice = await open_client(browser, base)
    await shot(alice, "01-log-in.png")
    await register(alice, "Alice Archer", "alice@example.com")
    bob = await open_client(browser, base)
    await register(bob, "Bob Baker", "bob@example.com")

    # Alice finds Bob and asks him to be friends; Bob sees the request arrive and accepts it
    await alice.get_by_role("link", name="People").click()
    await alice.get_by_label("Find people by name or email").fill("Bob")
    await alice.get_by_role("button", name="Search").click()
    results = alice.get_by_role("list", name="Search results")
    await results.get_by_role("button", name="Add friend").click()
    await alice.get_by_role("list", name="Requests I sent").get_by_text("Bob Baker").wait_for()
    await bob.get_by_label("1 friend requests").wait_for()
    await bob.get_by_role("link", name="People").click()
    await shot(bob, "02-friend-request.png")
    await bob.get_by_role("list", name="Friend requests").get_by_role("button", name="Accept").click()
    friends = alice.get_by_role("list", name="Friends")
    await friends.get_by_text("Bob Baker").wait_for()
    await friends.get_by_role("img", name="online").wait_for()  # Bob's page is open

    # Alice writes first; the thread appears on Bob's side and he opens it
    await friends.get_by_role("button", name="Message").click()
    await alice.get_by_label("First message").fill("Hi Bob!")
    await alice.get_by_role("button", name="Send").click()
    await alice.get_by_role("log", name="Messages").get_by_text("Hi Bob!").wait_for()
    thread_link = bob.get_by_role("list", name="Threads").get_by_role("link", name="Alice Archer")
    await thread_link.get_by_text("Alice Archer: Hi Bob!").wait_for()
    await thread_link.get_by_label("1 unread").wait_for()
    await thread_link.click()
    await bob.get_by_role("log", name="Messages").get_by_text("Hi Bob!").wait_for()

    # Bob types: Alice sees it; his answer appears on her side; she sees he read hers
    await alice.get_by_text("Seen by Bob Baker").wait_for()
    await bob.get_by_label("Message", exact=True).press_sequentially("Hello Al")
    await alice.get_by_text("Bob Baker is typing…").wait_for()
    await shot(alice, "03-typing.png")
    clock.advance(1)
    await bob.get_by_label("Message", exact=True).press_sequentially("ice")
    await bob.get_by_label("Message", exact=True).press("Enter")
    await alice.get_by_role("log", name="Messages").get_by_text("Hello Alice").wait_for()
    await alice.get_by_text("Bob Baker is typing…").wait_for(state="detached")
    await bob.get_by_text("Seen by Alice Archer").wait_for()
    await shot(alice, "04-private-thread.png")
    await shot(bob, "05-private-thread-other-side.png")

    # Bob closes the page: once his last heartbeat has run out, Alice sees him offline
    header = alice.locator(".thread-header")
    await header.get_by_role("img", name="online").wait_for()
    await bob.context.close()
    clock.advance(4 * 60 + 5)
    await header.get_by_role("img", name="offline").wait_for()
    assert alice.errors == []


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, "PNG")
    return out.getvalue()


async def test_a_group_of_three_shares_an_image_and_a_document(make_server, browser, clock):
    server = await make_server(**SERVER)
    base = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        api = Api(base + "/", http)
        alice, bob, carol = [await api.register(n, f"{n.lower()}@example.com") for n in ("Alice", "Bob", "Carol")]
        await befriend(api, alice, bob)
        await befriend(api, alice, carol)
    pages = {}
    for user in (alice, bob, carol):
        pages[user.name] = await open_client(browser, base, accept_downloads=True)
        await log_in(pages[user.name], user)
    a, b, c = pages["Alice"], pages["Bob"], pages["Carol"]

    await a.get_by_role("link", name="New group").click()
    await a.get_by_label("Name").fill("Weekend trip")
    await a.get_by_label("Bob").check()
    await a.get_by_label("Carol").check()
    await shot(a, "06-new-group.png")
    await a.get_by_role("button", name="Create group").click()
    await a.get_by_role("heading", name="Weekend trip").wait_for()
    for page in (b, c):  # the group appears on their side without a reload
        await page.get_by_role("list", name="Threads").get_by_role("link", name="Weekend trip").click()
        await page.get_by_role("heading", name="Weekend trip").wait_for()
    await a.get_by_text("Here now: Bob, Carol").or_(a.get_by_text("Here now: Carol, Bob")).wait_for()

    clock.advance(1)
    await a.locator('input[data-kind="image"]').set_input_files(
        files=[{"name": "beach.png", "mimeType": "image/png", "buffer": png((20, 120, 200))}])
    for page in (a, b, c):
        picture = page.get_by_role("log", name="Messages").get_by_role("img", name="Image from Alice", exact=True)
        await picture.wait_for()
        assert await picture.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0  # it really loads
    clock.advance(1)
    notes = b"Bring sunscreen.\n"
    await b.locator('input[data-kind="document"]').set_input_files(
        files=[{"name": "notes.txt", "mimeType": "text/plain", "buffer": notes}])
    for page in (a, b, c):
        await page.get_by_role("button", name="Download notes.txt").wait_for()
    async with c.expect_download() as download_info:
        await c.get_by_role("button", name="Download notes.txt").click()
    download = await download_info.value
    assert download.suggested_filename == "notes.txt"
    assert open(await download.path(), "rb").read() == notes
    clock.advance(1)
    await c.get_by_label("Message", exact=True).fill("Looks great!")
    await c.get_by_role("button", name="Send", exact=True).click()
    await a.get_by_role("log", name="Messages").get_by_text("Looks great!").wait_for()
    await shot(a, "07-group-thread.png")
    await a.get_by_role("button", name="Group").click()
    details = a.get_by_role("region", name="Conversation details")
    await details.get_by_role("list", name="Participants").get_by_text("Carol").wait_for()
    await details.get_by_label("Name").wait_for()  # Alice is an admin: the group's settings are hers to change
    await shot(a, "08-group-details.png")
    assert a.errors == b.errors == c.errors == []


async def test_an_invite_link_brings_a_new_person_into_the_group(make_server, browser):
    server = await make_server(**SERVER)
    base = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        api = Api(base + "/", http)
        alice = await api.register("Alice", "alice@example.com")
        group = await api.post("/api/messenger/groups", alice.token, json={"subject": "Book club"})
        assert group.status == 200 or group.status == 201, group
    a = await open_client(browser, base)
    await log_in(a, alice)
    await a.get_by_role("list", name="Threads").get_by_role("link", name="Book club").click()
    await a.get_by_role("button", name="Group").click()
    await a.get_by_role("button", name="Create link").click()
    link = await a.get_by_label("Invite link", exact=True).input_value()
    assert link.startswith(f"{base}/messenger/join/")

    dave = await (await browser.new_context()).new_page()
    await dave.goto(link)
    await dave.get_by_role("heading", name="Join Book club").wait_for()
    await shot(dave, "09-invite-preview.png")
    await register(dave, "Dave Newcomer", "dave@example.com")
    await dave.get_by_role("button", name="Join the group").click()
    await dave.get_by_role("heading", name="Book club").wait_for()
    await a.get_by_text("Here now: Dave Newcomer").wait_for()
    await a.get_by_role("log", name="Messages").get_by_text("Dave Newcomer", exact=False).first.wait_for()
    await shot(dave, "10-joined-by-invite.png")
    assert a.errors == []


async def friends_in_a_private_thread(base: str, first_message: str) -> tuple[User, User]:
    """Alice and Bob, friends, with a private thread Alice started (set up over the public API)."""
    async with aiohttp.ClientSession() as http:
        api = Api(base + "/", http)
        alice, bob = await api.register("Alice", "alice@example.com"), await api.register("Bob", "bob@example.com")
        await befriend(api, alice, bob)
        private = await api.post("/api/messenger/privates", alice.token,
                                 json={"recipient_id": bob.id, "recipient_alias": "user", "message": first_message})
        assert private.status == 201, private
    return alice, bob


async def alice_calls_bob(browser: Any, base: str, button: str, first_message: str) -> tuple[Any, Any, Any]:
    """Both signed in, Alice presses `button` in their thread; Bob's page rings. (Alice's page, Bob's, the ring.)"""
    alice, bob = await friends_in_a_private_thread(base, first_message)
    media = {"permissions": ["camera", "microphone"]}
    a, b = await open_client(browser, base, **media), await open_client(browser, base, **media)
    await log_in(a, alice)
    await log_in(b, bob)
    await a.get_by_role("list", name="Threads").get_by_role("link", name="Bob").click()
    await a.get_by_role("button", name=button).click()
    ringing = b.get_by_role("alertdialog", name="Incoming call")
    await ringing.get_by_text("Alice is calling").wait_for()
    return a, b, ringing


INBOUND_BYTES = """async () => {
  let total = 0;
  for (const pc of window.messengerPeers.values()) {
    (await pc.getStats()).forEach((r) => { if (r.type === "inbound-rtp") total += r.bytesReceived || 0; });
  }
  return total;
}"""


async def test_a_video_call_between_two_browsers(make_server, browser):
    server = await make_server(**SERVER)
    a, b, ringing = await alice_calls_bob(browser, str(server.make_url("")).rstrip("/"), "Video call", "Call?")
    await shot(b, "11-incoming-call.png")
    await ringing.get_by_role("button", name="Join with video").click()
    for page in (a, b):
        await page.get_by_label("You", exact=True).wait_for()
        await page.locator(".tiles video").nth(1).wait_for()  # the other side's video
    first = [await page.evaluate(INBOUND_BYTES) for page in (a, b)]
    await asyncio.sleep(2)
    second = [await page.evaluate(INBOUND_BYTES) for page in (a, b)]
    assert all(later > earlier > 0 for earlier, later in zip(first, second)), (first, second)
    await shot(a, "12-video-call.png")

    await a.get_by_role("button", name="End for everyone").click()
    await b.get_by_text("The call has ended").wait_for()
    await b.get_by_role("region", name="Call").wait_for(state="detached")
    assert a.errors == b.errors == []


async def test_a_thread_of_ten_thousand_messages_loads_a_page_at_a_time_as_you_scroll_up(make_server, browser, clock):
    server = await make_server(**SERVER)
    base = str(server.make_url("")).rstrip("/")
    svc = server.app[SERVICES]
    async with aiohttp.ClientSession() as http:
        api = Api(base + "/", http)
        alice, bob = await api.register("Alice", "alice@example.com"), await api.register("Bob", "bob@example.com")
    thread_id = await make_thread(svc, [alice.id, bob.id])
    await make_messages(svc, thread_id, [alice.id, bob.id], 10_000, clock.now() - timedelta(days=1))
    a = await open_client(browser, base)
    pages: list[str] = []
    a.on("request", lambda r: "/messages" in r.url and pages.append(r.url))
    await log_in(a, alice)
    await a.get_by_role("list", name="Threads").get_by_role("link", name="Bob").click()
    log = a.get_by_role("log", name="Messages")
    await log.get_by_text("message 9999", exact=True).wait_for()
    shown = log.locator("article.message")
    first_page = await shown.count()
    assert 0 < first_page < 100 and len(pages) == 1
    for page_number in range(2, 5):  # each time the top is reached, one older page
        await log.evaluate("el => { el.scrollTop = 0; }")
        await log.get_by_text(f"message {10_000 - page_number * first_page}", exact=True).wait_for()
        assert await shown.count() == page_number * first_page
    assert len(pages) == 4 and await shown.count() < 10_000
    # where you were reading stays in place while older messages are added above it
    assert await log.evaluate("el => el.scrollTop") > 0
    assert a.errors == []


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


async def test_on_a_phone_with_the_keyboard_settings_apply_and_friends_see_the_status_chosen(make_server, browser, clock):
    server = await make_server(**SERVER)
    base = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        api = Api(base + "/", http)
        alice, bob = await api.register("Alice", "alice@example.com"), await api.register("Bob", "bob@example.com")
        await befriend(api, alice, bob)
        private = await api.post("/api/messenger/privates", bob.token,
                                 json={"recipient_id": alice.id, "recipient_alias": "user", "message": "Are you there?"})
        assert private.status == 201, private
    phone = await open_client(browser, base, **PHONE)
    # log in with the keyboard alone: fields in order, Enter submits
    await phone.get_by_label("Email").focus()
    await phone.keyboard.type(alice.email)
    await phone.keyboard.press("Tab")
    await phone.keyboard.type("password123")
    await phone.keyboard.press("Enter")
    await phone.locator(".me strong", has_text="Alice").wait_for()

    # one screen at a time: the list, then the thread with a way back
    threads = phone.get_by_role("list", name="Threads")
    await threads.get_by_role("link", name="Bob").click()
    await phone.get_by_role("log", name="Messages").get_by_text("Are you there?").wait_for()
    assert not await threads.is_visible()
    await phone.get_by_label("Message", exact=True).fill("On my phone")
    await phone.keyboard.press("Enter")
    await phone.get_by_role("log", name="Messages").get_by_text("On my phone").wait_for()
    await shot(phone, "13-phone-thread.png")
    await phone.get_by_role("button", name="Back to conversations").click()
    await threads.wait_for()
    await shot(phone, "14-phone-threads.png")

    desktop = await open_client(browser, base)
    await log_in(desktop, bob)
    await desktop.get_by_role("link", name="People").click()
    friend = desktop.get_by_role("list", name="Friends").get_by_role("listitem").filter(has_text="Alice")
    await friend.get_by_role("img", name="online").wait_for()

    await phone.get_by_role("link", name="Settings").click()
    theme = "() => document.documentElement.dataset.theme"
    dark = await phone.get_by_label("Dark mode").is_checked()
    assert await phone.evaluate(theme) == ("dark" if dark else "light")
    await phone.get_by_label("Dark mode").click()
    await phone.wait_for_function(f"{theme} === '{'light' if dark else 'dark'}'")
    await phone.get_by_label("Offline (hidden)").check()
    await friend.get_by_role("img", name="offline").wait_for()
    await phone.get_by_label("Away").check()
    await friend.get_by_role("img", name="away").wait_for()
    avatar = phone.locator(".me img.avatar")
    assert (await avatar.get_attribute("src")).endswith("/default.png")
    await phone.get_by_label("Upload a picture").set_input_files(
        files=[{"name": "me.png", "mimeType": "image/png", "buffer": png((200, 60, 90))}])
    await phone.get_by_text("Avatar updated").wait_for()
    uploaded = await avatar.get_attribute("src")
    assert not uploaded.endswith("/default.png")
    await phone.get_by_role("button", name="Remove").click()
    await phone.wait_for_function("() => document.querySelector('.me img.avatar').src.endsWith('/default.png')")
    await shot(phone, "15-phone-settings.png")
    await phone.get_by_role("button", name="‹ Chats").click()
    await threads.wait_for()
    async with aiohttp.ClientSession() as http:  # saved, not only shown
        settings = await Api(base + "/", http).get("/api/messenger/settings", alice.token)
    assert settings.body["dark_mode"] is (not dark) and settings.body["online_status"] == 2
    assert phone.errors == desktop.errors == []


async def test_a_call_nobody_answers_is_a_missed_call(make_server, browser, clock):
    server = await make_server(**SERVER, messenger={"calling": {"ring_timeout_seconds": 30, "check_interval_seconds": 0.2}})
    a, b, ringing = await alice_calls_bob(browser, str(server.make_url("")).rstrip("/"), "Audio call", "Ring ring")
    clock.advance(31)  # past the ring timeout: the server ends the call
    await b.get_by_text("Missed call from Alice").wait_for()
    await ringing.wait_for(state="detached")
    await a.get_by_text("No one answered the call").wait_for()
    await a.get_by_role("region", name="Call").wait_for(state="detached")
    assert a.errors == b.errors == []


async def test_an_admin_runs_a_group_and_edits_deletions_knocks_and_approvals_are_live(make_server, browser, clock):
    server = await make_server(**SERVER)
    base = str(server.make_url("")).rstrip("/")
    async with aiohttp.ClientSession() as http:
        api = Api(base + "/", http)
        alice, bob, carol, dave = [await api.register(n, f"{n.lower()}@example.com") for n in ("Alice", "Bob", "Carol", "Dave")]
        await befriend(api, alice, bob)
        await befriend(api, alice, carol)
        group = await api.post("/api/messenger/groups", alice.token, json={"subject": "Project team", "providers": [
            {"id": bob.id, "alias": "user"}, {"id": carol.id, "alias": "user"}]})
        assert group.status == 201, group
    a, b = await open_client(browser, base), await open_client(browser, base)
    a.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))  # "Delete this message?"
    await log_in(a, alice)
    await log_in(b, bob)
    for page in (a, b):
        await page.get_by_role("list", name="Threads").get_by_role("link", name="Project team").click()
    a_log, b_log = a.get_by_role("log", name="Messages"), b.get_by_role("log", name="Messages")

    clock.advance(1)
    await a.get_by_label("Message", exact=True).fill("Draft text")
    await a.keyboard.press("Enter")
    await b_log.get_by_text("Draft text").wait_for()
    mine = a_log.get_by_role("article").filter(has_text="Draft text")
    await mine.get_by_role("button", name="Edit").click()
    await a.get_by_label("Edit message").fill("Final text")
    await a.get_by_role("button", name="Save").click()
    edited = b_log.get_by_role("article").filter(has_text="Final text")
    await edited.get_by_text("edited").wait_for()
    await a_log.get_by_role("article").filter(has_text="Final text").get_by_role("button", name="Delete").click()
    await edited.wait_for(state="detached")
    await a_log.get_by_text("Final text").wait_for(state="detached")

    await a.get_by_role("button", name="Knock").click()
    await b.get_by_text("Alice knocked in Project team").wait_for()

    await a.get_by_role("button", name="Group").click()
    details = a.get_by_role("region", name="Conversation details")
    people = details.get_by_role("list", name="Participants")
    await people.get_by_role("listitem").filter(has_text="Bob").get_by_role("button", name="Make admin").click()
    await people.get_by_role("listitem").filter(has_text="Bob").get_by_text("admin", exact=True).wait_for()
    await people.get_by_role("listitem").filter(has_text="Carol").get_by_role("button", name="Remove").click()
    await people.get_by_role("listitem").filter(has_text="Carol").wait_for(state="detached")
    await details.get_by_label("Name", exact=True).fill("Renamed team")
    await details.get_by_role("button", name="Save").click()
    await b.get_by_role("heading", name="Renamed team").wait_for()
    await b.get_by_role("list", name="Threads").get_by_role("link", name="Renamed team").wait_for()
    await b.get_by_role("button", name="Group").click()  # Bob is an admin now: the settings are his too
    await b.get_by_role("region", name="Conversation details").get_by_label("Name", exact=True).wait_for()
    await shot(a, "16-group-admin.png")

    # someone who is not a friend writes first: the thread waits for approval
    async with aiohttp.ClientSession() as http:
        request = await Api(base + "/", http).post("/api/messenger/privates", dave.token, json={
            "recipient_id": alice.id, "recipient_alias": "user", "message": "Hello, may I ask something?"})
        assert request.status == 201, request
    waiting = a.get_by_role("list", name="Threads").get_by_role("link", name="Dave")
    await waiting.get_by_text("pending").wait_for()
    await waiting.click()
    await a.get_by_role("region", name="Message request").get_by_role("button", name="Accept").click()
    await a.get_by_label("Message", exact=True).wait_for()
    await waiting.get_by_text("pending").wait_for(state="detached")
    assert a.errors == b.errors == []
