"""The web client as a person uses it, in one browser context each: open it, register, find the controls."""
from __future__ import annotations

from typing import Any

from tests.browser.conftest import artifact
from tests.support.http import Api, User

TIMEOUT_MS = 10_000


async def open_client(browser: Any, base: str, **context: Any) -> Any:
    page = await (await browser.new_context(**context)).new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.errors = errors  # read by the tests: an uncaught exception in the page fails them
    await page.goto(f"{base}/messenger")
    return page


async def register(page: Any, name: str, email: str, password: str = "a long password") -> None:
    await page.get_by_role("button", name="New here? Create an account").click()
    await page.get_by_label("Name").fill(name)
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Create account").click()
    await page.locator(".me strong", has_text=name).wait_for()


async def log_in(page: Any, user: User, password: str = "password123") -> None:
    await page.get_by_label("Email").fill(user.email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Log in").click()
    await page.locator(".me strong", has_text=user.name).wait_for()


async def befriend(api: Api, a: User, b: User) -> None:
    """Set-up over the public API: `a` asks, `b` accepts."""
    sent = await api.post("/api/messenger/friends/sent", a.token, json={"recipient_id": b.id, "recipient_alias": "user"})
    assert sent.status == 201, sent
    accepted = await api.put(f"/api/messenger/friends/pending/{sent.body['id']}", b.token)
    assert accepted.status == 201, accepted


async def shot(page: Any, name: str) -> None:
    await page.screenshot(path=str(artifact(name)), full_page=True)
