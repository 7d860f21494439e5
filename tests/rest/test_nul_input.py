"""A NUL character anywhere in the input is a clear 422 (or 404 in a path), on SQLite and PostgreSQL alike:
PostgreSQL cannot store one, and that used to be a 500."""
from __future__ import annotations

import aiohttp

API = "/api/messenger"
INVALID = "The given data was invalid."


async def test_nul_in_bodies_queries_paths_and_file_names_is_refused_cleanly(api, server):
    me = await api.register("Nul Tester")
    for path, body in [("/api/auth/register", {"name": "Bad\x00Name", "email": "nul@example.com", "password": "x" * 12}),
                       ("/api/auth/login", {"email": "nul\x00@example.com", "password": "whatever123"}),
                       (f"{API}/privates", {"recipient_alias": "user", "recipient_id": "a\x00b", "message": "hi"})]:
        reply = await api.post(path, me.token, json=body)
        assert reply.status == 422 and reply.body["message"] == INVALID, (path, reply)
        assert any("NUL" in m for messages in reply.body["errors"].values() for m in messages)
    settings = await api.put(f"{API}/settings", me.token, json={"message_popups": True, "message_sound": True,
                                                               "call_ringtone_sound": True, "notify_sound": True,
                                                               "dark_mode": "\x00", "online_status": 1})
    assert settings.status == 422
    search = await api.get(f"{API}/search/ab%00cd", me.token)
    assert search.status == 404 and search.body["message"].startswith("The route")
    paged = await api.get(f"{API}/threads?page=1%00", me.token)
    assert paged.status == 422 and paged.body["errors"] == {"query": ["The query must not contain NUL characters."]}
    thread = await api.get(f"{API}/threads/abc%00def", me.token)
    assert thread.status == 404
    # a form built by hand: aiohttp's client refuses to send a control character in a part's headers
    form = (b'--XyZ\r\nContent-Disposition: form-data; name="image"; filename="a\x00.png"\r\n'
            b"Content-Type: image/png\r\n\r\n\x89PNG\r\n--XyZ--\r\n")
    async with aiohttp.ClientSession() as http:
        async with http.post(server.make_url(f"{API}/avatar"), data=form, headers={
                "Authorization": f"Bearer {me.token}", "Content-Type": "multipart/form-data; boundary=XyZ"}) as r:
            assert r.status in (400, 422) and (await r.json())["message"] in ("The form data is malformed.", INVALID)
    # nothing stored was touched, and the account still works
    assert (await api.get(f"{API}/settings", me.token)).status == 200
    assert (await api.post("/api/auth/login", json={"email": me.email, "password": "password123"})).status == 200


async def test_malformed_multipart_bodies_are_a_400(api, server):
    me = await api.register()
    bodies = [
        ("multipart/form-data", b"--XyZ\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\nabc"),  # no boundary
        ("multipart/form-data; boundary=XyZ", b"--XyZ\r\nContent-Disposition: form-data; name=\"image\"; "
                                             b"filename=\"a.png\"\r\n\r\n\x89PNG"),  # unterminated
        ("multipart/form-data; boundary=Other", b"--XyZ\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n1\r\n--XyZ--"),
        ("multipart/form-data; boundary=XyZ", b'--XyZ\r\nContent-Disposition: form-data; name="image"; '
                                             b'filename="a\rb.png"\r\n\r\n\x89PNG\r\n--XyZ--\r\n'),
    ]
    async with aiohttp.ClientSession() as http:
        for content_type, body in bodies:
            for path in (f"{API}/avatar", f"{API}/heartbeat"):
                async with http.post(server.make_url(path), data=body, headers={
                        "Authorization": f"Bearer {me.token}", "Content-Type": content_type}) as r:
                    assert r.status in (400, 422), (path, content_type, r.status, await r.text())
                    assert r.content_type == "application/json"
