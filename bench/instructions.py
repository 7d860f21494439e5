"""Instructions per steady heartbeat, counted by valgrind (callgrind): the same for the same code whatever else the
machine is doing, so a change of a few percent shows where requests/s on a shared machine cannot.

    python -m bench.instructions --trees /path/to/before /path/to/after [--requests 300]

For each tree, one process starts the app in-process and sends N, then 2N, steady heartbeats through a real
HTTP client on loopback; (instructions(2N) - instructions(N)) / N is the cost of one heartbeat, server and client
together (the client is the same code in both trees, so a difference is the server's). Periodic tasks are pushed
out of the run, since under valgrind they would fire fifty times as often per request.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


async def beat(count: int) -> None:
    import aiohttp
    from aiohttp.test_utils import TestServer

    try:
        from messenger_gateway.app.factory import create_app
        from messenger_gateway.core.config import load_config
        from messenger_gateway.core.runtime import tune_gc
    except ModuleNotFoundError:  # a tree from before the one package (so a change can be measured against it)
        from core.app import create_app  # type: ignore[no-redef]
        from core.config import load_config  # type: ignore[no-redef]
        from core.runtime import tune_gc  # type: ignore[no-redef]

    # Periodic work runs per second of wall time, and under valgrind a second is ~50x fewer requests: push it out
    # of the measurement (an in-memory database has no WAL checkpoint task; the steady heartbeat runs no SQL).
    config = load_config(env={}, overrides={
        "storage_dir": tempfile.mkdtemp(prefix="mg-instr-"), "logging": {"level": "WARNING"},
        "database_url": "sqlite+aiosqlite:///:memory:",
        "presence": {"sweep_interval_seconds": 3600, "last_active_flush_seconds": 3600},
        "messenger": {"calling": {"check_interval_seconds": 3600}},
        "security": {"argon2_time_cost": 1, "argon2_memory_kib": 1024, "argon2_parallelism": 1}})
    server = TestServer(create_app(config))
    await server.start_server()
    tune_gc()  # as `messenger-gateway` does once the app is built
    try:
        url = str(server.make_url("")).rstrip("/")
        async with aiohttp.ClientSession() as session:
            body = {"name": "Bench", "email": "bench@example.com", "password": "benchmark-pass"}
            async with session.post(f"{url}/api/auth/register", json=body) as resp:
                headers = {"Authorization": f"Bearer {(await resp.json())['token']}"}
            for _ in range(20):  # warm-up: caches filled, the status settled
                async with session.post(f"{url}/api/messenger/heartbeat", json={"away": False}, headers=headers) as r:
                    await r.read()
            for _ in range(count):
                async with session.post(f"{url}/api/messenger/heartbeat", json={"away": False}, headers=headers) as r:
                    await r.read()
    finally:
        await server.close()


def instructions(tree: str, count: int) -> int:
    env = {**os.environ, "PYTHONPATH": tree, "PYTHONHASHSEED": "0"}
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, str(Path(__file__).resolve()),
         "--beat", str(count)], cwd=tree, env=env, capture_output=True, text=True, check=True)
    found = re.search(r"Collected\s*:\s*(\d+)", result.stderr)
    if not found:
        raise SystemExit(f"no instruction count in valgrind's output: {result.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trees", nargs="+", default=[])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--beat", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.beat is not None:
        asyncio.run(beat(args.beat))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    per_beat = {}
    for tree in args.trees:
        small, large = instructions(tree, args.requests), instructions(tree, 2 * args.requests)
        per_beat[tree] = (large - small) / args.requests
        print(f"{tree}: {per_beat[tree]:,.0f} instructions per heartbeat (server + client)", flush=True)
    first = per_beat[args.trees[0]]
    for tree in args.trees[1:]:
        print(f"{tree} vs {args.trees[0]}: {(per_beat[tree] - first) / first * 100:+.2f}%")


if __name__ == "__main__":
    main()
