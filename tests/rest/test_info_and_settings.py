"""GET /api/messenger, GET and PUT /api/messenger/settings."""
from __future__ import annotations

import pytest

from tests.support.seed import assert_same_shape, seed_response

SETTINGS_KEYS = ["message_popups", "message_sound", "call_ringtone_sound", "notify_sound", "dark_mode", "online_status"]


async def test_info_matches_seed_exactly(api):
    reply = await api.get("/api/messenger")
    assert reply.status == 200
    seed = seed_response("GET /api/messenger")
    assert_same_shape(reply.body, seed)
    # with the default config every value but the socket endpoint equals the seed's
    expected = dict(seed, socketEndpoint=reply.body["socketEndpoint"])
    assert reply.body == expected
    assert reply.body["socketEndpoint"] == str(api.base_url)


@pytest.mark.parametrize("config_overrides", [{
    "messenger": {"socket_endpoint": "https://ws.example.com", "knocks": {"timeout_minutes": 9},
                  "collections": {"search_page_count": 10}},
}])
async def test_info_reflects_configuration(api):
    body = (await api.get("/api/messenger")).body
    assert body["socketEndpoint"] == "https://ws.example.com"
    assert body["knockTimeout"] == 9
    assert body["searchPageCount"] == 10


async def test_settings_shape_and_defaults(api):
    user = await api.register("John Doe", "john@example.net")
    reply = await api.get("/api/messenger/settings", user.token)
    assert reply.status == 200
    assert_same_shape(reply.body, seed_response("GET /api/messenger/settings"))
    assert reply.body["owner"]["provider_id"] == user.id
    assert reply.body["owner_type"] == "App\\Models\\User"
    assert reply.body["owner_id"] == user.id
    assert [reply.body[k] for k in SETTINGS_KEYS] == [True, True, True, True, True, 1]
    assert reply.body["owner"]["avatar"]["sm"] == f"/images/user/{user.id}/sm/default.png"
    assert reply.body["owner"]["api_avatar"]["lg"] == f"/api/messenger/images/user/{user.id}/lg/default.png"


async def test_update_settings(api):
    user = await api.register()
    payload = seed_sections_payload()
    reply = await api.put("/api/messenger/settings", user.token, json=payload)
    assert reply.status == 200
    assert_same_shape(reply.body, seed_response("PUT /api/messenger/settings"))
    assert {k: reply.body[k] for k in SETTINGS_KEYS} == payload
    again = await api.get("/api/messenger/settings", user.token)
    assert {k: again.body[k] for k in SETTINGS_KEYS} == payload
    # form-encoded bodies with Laravel's "1"/"0" booleans work too
    form = {k: "0" for k in SETTINGS_KEYS[:5]} | {"online_status": "1"}
    reply = await api.put("/api/messenger/settings", user.token, data=form)
    assert reply.status == 200
    assert [reply.body[k] for k in SETTINGS_KEYS] == [False] * 5 + [1]


def seed_sections_payload() -> dict:
    from tests.support.seed import seed_sections

    payload = dict(seed_sections()["PUT /api/messenger/settings"]["payload"])
    payload["dark_mode"] = False
    return payload


async def test_update_settings_validation(api):
    user = await api.register()
    before = (await api.get("/api/messenger/settings", user.token)).body
    missing = await api.put("/api/messenger/settings", user.token, json={"dark_mode": False})
    assert missing.status == 422
    assert missing.body["errors"]["online_status"] == ["The online status field is required."]
    assert missing.body["errors"]["message_popups"] == ["The message popups field is required."]
    assert "dark_mode" not in missing.body["errors"]
    full = {k: True for k in SETTINGS_KEYS[:5]}
    bad = [
        ({**full, "online_status": 3}, "online_status", "The selected online status is invalid."),
        ({**full, "online_status": "x"}, "online_status", "The online status must be an integer."),
        ({**full, "online_status": 1, "dark_mode": "yes"}, "dark_mode", "The dark mode field must be true or false."),
        ({**full, "online_status": 1, "notify_sound": 5}, "notify_sound", "The notify sound field must be true or false."),
    ]
    for payload, field, message in bad:
        reply = await api.put("/api/messenger/settings", user.token, json=payload)
        assert reply.status == 422, payload
        assert reply.body["errors"] == {field: [message]}
    after = (await api.get("/api/messenger/settings", user.token)).body
    assert after == before  # nothing stored was touched by the refused requests
