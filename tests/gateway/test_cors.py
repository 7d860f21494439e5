"""Socket.IO origins: any origin in development, only the configured ones in production."""
from __future__ import annotations

import pytest

HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


async def test_development_accepts_any_origin(api):
    reply = await api.get(HANDSHAKE, headers={"Origin": "https://anything.example"})
    assert reply.status == 200
    assert reply.headers["Access-Control-Allow-Origin"] == "https://anything.example"


@pytest.mark.parametrize("config_overrides", [{"environment": "production",
                                               "gateway": {"cors_allowed_origins": ["https://app.example"]}}])
async def test_production_accepts_only_configured_origins(api):
    ok = await api.get(HANDSHAKE, headers={"Origin": "https://app.example"})
    assert ok.status == 200
    refused = await api.get(HANDSHAKE, headers={"Origin": "https://evil.example"})
    assert refused.status == 400


async def test_old_socket_io_clients_get_a_clear_refusal(api):
    reply = await api.get("/socket.io/?EIO=3&transport=polling")
    assert reply.status == 400
