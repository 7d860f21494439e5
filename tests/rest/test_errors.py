"""Every failure is a JSON body with the right status; unexpected ones are 500 without a traceback."""
from __future__ import annotations

import logging

from sqlalchemy import text


async def test_unknown_route_and_wrong_method(api):
    reply = await api.get("/api/messenger/nothing-here")
    assert reply.status == 404
    assert reply.body == {"message": "The route /api/messenger/nothing-here could not be found."}
    assert (await api.get("/totally/unknown")).status == 404
    wrong = await api.get("/api/messenger/heartbeat")
    assert wrong.status == 405
    assert wrong.body == {"message": "The GET method is not supported for this route. Supported methods: POST."}
    assert wrong.headers["Allow"] == "POST"


async def test_malformed_and_unsupported_bodies(api):
    user = await api.register()
    malformed = await api.post("/api/messenger/heartbeat", user.token, raw=b'{"away": tru',
                               headers={"Content-Type": "application/json"})
    assert malformed.status == 400
    assert malformed.body == {"message": "The request body is not valid JSON."}
    not_object = await api.post("/api/messenger/heartbeat", user.token, json=[1, 2])
    assert not_object.status == 422 and "JSON object" in not_object.body["message"]
    plain = await api.post("/api/messenger/heartbeat", user.token, raw=b"away=1", headers={"Content-Type": "text/plain"})
    assert plain.status == 415
    bad_register = await api.post("/api/auth/register", raw=b"\xff\xfe", headers={"Content-Type": "application/json"})
    assert bad_register.status == 400


async def test_unexpected_failure_is_a_500_without_traceback(api, svc, caplog):
    user = await api.register()
    async with svc.db.engine.begin() as conn:
        await conn.execute(text("DROP TABLE pending_friends"))
    with caplog.at_level(logging.ERROR, logger="messenger.rest"):
        reply = await api.post("/api/messenger/heartbeat", user.token, json={"away": False})
    assert reply.status == 500
    assert reply.body == {"message": "Server Error."}
    assert b"Traceback" not in reply.raw and b"pending_friends" not in reply.raw
    assert any("unhandled error" in r.message for r in caplog.records)  # the details go to the log only
    # the service keeps answering other requests
    assert (await api.get("/api/messenger/settings", user.token)).status == 200
