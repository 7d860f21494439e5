"""Heartbeat: POST /api/messenger/heartbeat from many users, requests/s and p99.

    python -m bench.heartbeat [--users 200] [--seconds 10] [--concurrency 32] [--quick]

Two runs: "steady" (the status never changes: the common path) and "toggle" (every heartbeat flips
ONLINE/AWAY, so every request is a status change that is pushed as online.status).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys

import aiohttp

from bench.common import BENCH_LIMITS, ROOT, messenger_server, pinned, save, table

COLUMNS = ["mode", "users", "concurrency", "requests", "errors", "rps", "p50_ms", "p99_ms", "sql_per_heartbeat"]


async def register(url: str, users: int) -> list[str]:
    async with aiohttp.ClientSession() as session:
        async def one(i: int) -> str:
            body = {"name": f"Bench {i}", "email": f"bench{i}@example.com", "password": "benchmark-pass"}
            async with session.post(f"{url}/api/auth/register", json=body) as resp:
                return (await resp.json())["token"]

        tokens = []
        for start in range(0, users, 50):
            tokens += await asyncio.gather(*(one(i) for i in range(start, min(users, start + 50))))
        return tokens


async def statements_per_heartbeat(samples: int = 100) -> float:
    """SQL statements the steady heartbeat runs, counted on an in-process server (after one warm-up beat)."""
    import tempfile

    from aiohttp.test_utils import TestServer
    from sqlalchemy import event

    from messenger_gateway.app.factory import create_app
    from messenger_gateway.core.config import load_config
    from messenger_gateway.core.services import SERVICES

    config = load_config(env={}, overrides={"storage_dir": tempfile.mkdtemp(prefix="mg-bench-"),
                                            "logging": {"level": "WARNING"}, "limits": BENCH_LIMITS,
                                            "security": {"argon2_time_cost": 1, "argon2_memory_kib": 1024,
                                                         "argon2_parallelism": 1}})
    server = TestServer(create_app(config))
    await server.start_server()
    statements: list[str] = []
    try:
        url = str(server.make_url("")).rstrip("/")
        (token,) = await register(url, 1)
        headers = {"Authorization": f"Bearer {token}"}
        async with aiohttp.ClientSession() as session:
            await session.post(f"{url}/api/messenger/heartbeat", json={"away": False}, headers=headers)
            engine = server.app[SERVICES].db.engine.sync_engine
            event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
            for _ in range(samples):
                async with session.post(f"{url}/api/messenger/heartbeat", json={"away": False}, headers=headers) as r:
                    await r.read()
    finally:
        await server.close()
    return len(statements) / samples


def run(users: int, seconds: float, concurrency: int) -> list[dict]:
    rows = []
    with messenger_server() as (url, _):
        tokens = asyncio.run(register(url, users))
        for mode in ("steady", "toggle"):
            spec = {"url": url, "tokens": tokens, "seconds": seconds, "concurrency": concurrency, "toggle": mode == "toggle"}
            out = subprocess.run(pinned([sys.executable, "-m", "bench.heartbeat_load", json.dumps(spec)], 1),
                                 cwd=ROOT, capture_output=True, text=True, check=True).stdout
            rows.append({"mode": mode, "users": users, "concurrency": concurrency, **json.loads(out)})
    per_beat = asyncio.run(statements_per_heartbeat())
    for row in rows:
        row["sql_per_heartbeat"] = per_beat
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--quick", action="store_true", help="smoke mode: 20 users, 2 seconds")
    args = parser.parse_args()
    if args.quick:
        args.users, args.seconds = 20, 2
    rows = run(args.users, args.seconds, args.concurrency)
    print(table(rows, COLUMNS))
    print(f"results: {save('heartbeat', rows, args.quick)}")


if __name__ == "__main__":
    main()
