"""A chat page on its own origin, in Chromium, calling the REST API on another: allowed when its origin is listed
in gateway.cors_allowed_origins, refused by the browser otherwise."""
from __future__ import annotations

from typing import Any

import aiohttp
from aiohttp import web

PAGE = "<!doctype html><html><head><title>chat</title></head><body><p>a chat page</p></body></html>"

# what a front end does first: register (a JSON POST, so preflighted), then an authorized GET (preflighted too)
SIGN_UP_AND_READ_SETTINGS = """async ([api, email]) => {
  try {
    const registered = await fetch(api + "/api/auth/register", {
      method: "POST", headers: {"Content-Type": "application/json", "X-Requested-With": "XMLHttpRequest"},
      body: JSON.stringify({name: "Page User", email, password: "a long password"})});
    const {token} = await registered.json();
    const settings = await fetch(api + "/api/messenger/settings", {headers: {Authorization: "Bearer " + token}});
    const refused = await fetch(api + "/api/messenger/settings");
    return {registered: registered.status, settings: settings.status, body: await settings.json(),
            refused: refused.status, refusedBody: await refused.json()};
  } catch (error) {
    return {error: String(error)};
  }
}"""


async def page_server(aiohttp_server: Any) -> str:
    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    app = web.Application()
    app.router.add_get("/", page)
    server = await aiohttp_server(app)
    return str(server.make_url("")).rstrip("/")


async def test_a_listed_origin_signs_up_and_reads_and_another_is_refused(make_server, aiohttp_server, browser):
    allowed, other = await page_server(aiohttp_server), await page_server(aiohttp_server)
    api_server = await make_server(environment="production", gateway={"cors_allowed_origins": [allowed]})
    api = str(api_server.make_url("")).rstrip("/")
    page = await browser.new_page()

    await page.goto(allowed + "/")
    outcome = await page.evaluate(SIGN_UP_AND_READ_SETTINGS, [api, "page@example.com"])
    assert outcome.get("error") is None, outcome
    assert outcome["registered"] == 201 and outcome["settings"] == 200
    assert outcome["body"]["message_popups"] in (True, False)
    assert outcome["refused"] == 401 and "message" in outcome["refusedBody"]  # the page can read our errors too

    await page.goto(other + "/")
    outcome = await page.evaluate(SIGN_UP_AND_READ_SETTINGS, [api, "other@example.com"])
    assert "Failed to fetch" in outcome.get("error", ""), outcome
    # the preflight was refused, so the registration never ran: that address has no account
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{api}/api/auth/login",
                                json={"email": "other@example.com", "password": "a long password"}) as resp:
            assert resp.status in (401, 422)
        async with session.post(f"{api}/api/auth/login",
                                json={"email": "page@example.com", "password": "a long password"}) as resp:
            assert resp.status == 200
