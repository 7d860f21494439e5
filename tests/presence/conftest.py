"""Presence tests: SQLite, and each behaviour on the in-memory backend and on the Redis backend."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.support.services import require_redis


@pytest.fixture
def database(tmp_path: Path):
    yield {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"}


@pytest.fixture(params=["memory", "redis"])
def presence_backend(request) -> dict:
    settings: dict = {"presence": {"sweep_interval_seconds": 0.1, "offline_grace_seconds": 15}}
    if request.param == "redis":
        settings["redis_url"] = require_redis()
        settings["gateway"] = {"redis_prefix": f"t{uuid.uuid4().hex[:10]}:", "node_heartbeat_seconds": 0.2,
                               "node_timeout_seconds": 60}
    return settings


@pytest.fixture
async def server(make_server, presence_backend):
    return await make_server(**presence_backend)
