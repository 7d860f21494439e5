"""Which external services (PostgreSQL, Redis) this machine offers to the tests.

Absent services make their tests skip with a reason, except under CI=true, where they must be there.
"""
from __future__ import annotations

import asyncio
import os
import socket

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get("MESSENGER_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("MESSENGER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _postgres_ok() -> bool:
    if not _port_open("127.0.0.1", 5432):
        return False
    try:
        import asyncpg
    except ImportError:
        return False

    async def probe() -> None:
        conn = await asyncpg.connect(POSTGRES_URL.replace("postgresql+asyncpg", "postgresql"), timeout=3)
        await conn.close()

    try:
        asyncio.run(probe())
        return True
    except Exception:
        return False


_cache: dict[str, bool] = {}


def require_postgres() -> str:
    if "pg" not in _cache:
        _cache["pg"] = _postgres_ok()
    if not _cache["pg"]:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI=true but is not reachable at {POSTGRES_URL}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    return POSTGRES_URL


def require_redis() -> str:
    if "redis" not in _cache:
        _cache["redis"] = _port_open("127.0.0.1", 6379)
    if not _cache["redis"]:
        if IN_CI:
            pytest.fail(f"Redis is required under CI=true but is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    return REDIS_URL
