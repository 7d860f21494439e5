"""Gateway tests run on SQLite only (the SQL paths they touch are covered on both databases by tests/rest)."""
from __future__ import annotations

from pathlib import Path

import pytest

BROADCAST_CLIENTS = [{"app_id": "app1", "key": "key-one"}, {"app_id": "signed", "key": "key-two", "secret": "s3cret"}]


@pytest.fixture
def database(tmp_path: Path):
    yield {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"}


@pytest.fixture
def config_overrides():
    return {"gateway": {"clients": BROADCAST_CLIENTS}}


@pytest.fixture
def publish(api):
    """POST /apps/app1/events as a Laravel pusher broadcaster would."""

    async def send(channel: str | list[str], event: str, data, socket_id: str | None = None):
        body = {"name": event, "data": data}
        body["channels" if isinstance(channel, list) else "channel"] = channel
        if socket_id:
            body["socket_id"] = socket_id
        reply = await api.post("/apps/app1/events", json=body, headers={"Authorization": "Bearer key-one"})
        assert reply.status == 200, reply
        return reply

    return send


@pytest.fixture
def subscribed(api):
    """Wait until `count` sockets are in `channel` (Echo's subscribe has no acknowledgement)."""
    import asyncio
    from urllib.parse import quote

    async def wait(channel: str, count: int = 1, timeout: float = 5.0) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            reply = await api.get(f"/apps/app1/channels/{quote(channel)}", headers={"Authorization": "Bearer key-one"})
            if reply.body["subscription_count"] >= count:
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{channel} has {reply.body['subscription_count']} sockets, expected {count}")
            await asyncio.sleep(0.02)

    return wait
