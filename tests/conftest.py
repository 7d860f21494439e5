"""Shared fixtures: a real server on a loopback port, on SQLite and on PostgreSQL, and an HTTP client."""
from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Callable

import aiohttp
import pytest

from messenger_gateway.app.factory import create_app
from messenger_gateway.core.clock import ManualClock
from messenger_gateway.core.config import Config, deep_merge, load_config
from messenger_gateway.core.services import SERVICES, Services
from tests.support.http import Api
from tests.support.services import require_postgres, require_redis

# Real argon2id, with costs small enough that a test can register dozens of users quickly.
FAST_SECURITY = {"argon2_time_cost": 1, "argon2_memory_kib": 1024, "argon2_parallelism": 1}


# Tests register many users and send many messages from one address within one (manual) minute; the tests of
# those limits set their own.
TEST_LIMITS = {"register_per_minute": 100_000, "login_per_address_per_minute": 100_000, "messages_per_minute": 100_000}


def make_config(storage: Path, **overrides: Any) -> Config:
    base: dict[str, Any] = {"storage_dir": str(storage), "security": FAST_SECURITY, "limits": TEST_LIMITS}
    return load_config(env={}, overrides=deep_merge(base, overrides))


async def drop_schema(url: str, schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path):
    """Database settings for one test: a SQLite file in a temp dir, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"}
        return
    url = require_postgres()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    yield {"database_url": url, "database_schema": schema}
    asyncio.run(drop_schema(url, schema))


@pytest.fixture
def sqlite_database(tmp_path: Path) -> dict[str, Any]:
    return {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    """Tests override this fixture (or use make_server) to change configuration."""
    return {}


@pytest.fixture
async def make_server(database, aiohttp_server, tmp_path: Path, clock) -> AsyncIterator[Callable[..., Any]]:
    from tests.support.sockets import OPEN

    async def start(**overrides: Any) -> Any:
        storage = tmp_path / f"storage-{uuid.uuid4().hex[:6]}"
        config = make_config(storage, **database, **overrides)
        app = create_app(config, clock=clock)
        return await aiohttp_server(app)

    yield start
    # close the test's socket clients before the servers go away
    while OPEN:
        await OPEN.pop().close()


@pytest.fixture
async def server(make_server, config_overrides):
    return await make_server(**config_overrides)


@pytest.fixture
def svc(server) -> Services:
    return server.app[SERVICES]


@pytest.fixture
async def api(server) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(str(server.make_url("/")), session)


@pytest.fixture
async def sockets(server) -> AsyncIterator[Callable[..., Any]]:
    """Open real Socket.IO clients to the server under test; all are closed at the end."""
    from tests.support.sockets import connect

    opened = []

    async def open_socket(token: str | None = None, **kwargs: Any):
        recorder = await connect(str(server.make_url("/")), token, **kwargs)
        opened.append(recorder)
        return recorder

    yield open_socket
    for recorder in opened:
        await recorder.close()


@pytest.fixture
def redis_settings() -> dict[str, Any]:
    """Settings that put a node on the test Redis, under a prefix of its own."""
    return {"redis_url": require_redis(), "gateway": {"redis_prefix": f"t{uuid.uuid4().hex[:10]}:"}}


@pytest.fixture
async def two_nodes(make_server, redis_settings) -> AsyncIterator[tuple[Any, Any, Api, Api]]:
    """Two nodes sharing the database and Redis, and an HTTP client for each."""
    node_a = await make_server(**redis_settings)
    node_b = await make_server(**redis_settings)
    async with aiohttp.ClientSession() as http:
        yield node_a, node_b, Api(str(node_a.make_url("/")), http), Api(str(node_b.make_url("/")), http)
