"""The messenger web client at /messenger in Chromium, as people use it: two or three browser contexts talking to
one real server (HTTP and Socket.IO), every change seen live on the other side."""
from __future__ import annotations

import pytest

from tests.browser.client import open_client, register, shot

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
