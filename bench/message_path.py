"""Message path: POST /threads/{id}/messages in a group of M members, every member's socket subscribed.

    python -m bench.message_path [--members 100] [--rate 200] [--seconds 10] [--quick]

Prints messages/s, POST p50/p99, and p50/p99/max from POST to the *last* member's `new.message`, plus deliveries
lost (must be 0). Members are friends of the sender (only friends can be added) and each sends nothing.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import time
import uuid

import aiohttp

from bench.common import (LOADGEN, cpu_seconds, ensure_loadgen, messenger_server, pinned, running_on, save, stdin_of,
                          stdout_of, table)

API = "/api/messenger"
COLUMNS = ["members", "database", "offered_rate", "sent", "errors", "messages_per_second", "post_p50_ms", "post_p99_ms",
           "delivered", "lost", "last_delivery_p50_ms", "last_delivery_p99_ms", "last_delivery_max_ms",
           "server_cpu_percent", "receivers_cpu_percent"]


async def setup(url: str, members: int) -> tuple[dict, list[dict], str]:
    async with aiohttp.ClientSession() as http:
        async def register(i: int) -> dict:
            body = {"name": f"Member {i}", "email": f"member{i}@example.com", "password": "benchmark-pass"}
            async with http.post(f"{url}/api/auth/register", json=body) as r:
                data = await r.json()
                return {"token": data["token"], "id": data["provider"]["provider_id"]}

        users = []
        for start in range(0, members, 25):
            users += await asyncio.gather(*(register(i) for i in range(start, min(members, start + 25))))
        sender, others = users[0], users[1:]

        def auth(user: dict) -> dict:
            return {"Authorization": f"Bearer {user['token']}"}

        async def befriend(other: dict) -> None:
            async with http.post(f"{url}{API}/friends/sent", headers=auth(sender),
                                 json={"recipient_id": other["id"], "recipient_alias": "user"}) as r:
                request = await r.json()
            async with http.put(f"{url}{API}/friends/pending/{request['id']}", headers=auth(other), json={}) as r:
                await r.read()

        for start in range(0, len(others), 25):
            await asyncio.gather(*(befriend(o) for o in others[start:start + 25]))
        async with http.post(f"{url}{API}/groups", headers=auth(sender), json={
                "subject": "Benchmark", "providers": [{"alias": "user", "id": o["id"]} for o in others]}) as r:
            thread = (await r.json())["id"]
    return sender, users, thread


async def send(url: str, sender: dict, thread: str, rate: float, seconds: float) -> dict:
    latencies: list[float] = []
    errors = 0
    headers = {"Authorization": f"Bearer {sender['token']}"}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256)) as http:
        async def one(i: int) -> None:
            nonlocal errors
            started = time.perf_counter()
            body = {"message": f"{i}={int(time.time() * 1000)}"}
            async with http.post(f"{url}{API}/threads/{thread}/messages", json=body, headers=headers) as r:
                await r.read()
                errors += r.status != 201
            latencies.append((time.perf_counter() - started) * 1000)

        tasks = []
        began = time.monotonic()
        total = int(rate * seconds)
        for i in range(total):
            delay = began + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - began
    latencies.sort()
    pct = lambda p: round(latencies[min(len(latencies) - 1, int(len(latencies) * p))], 1)  # noqa: E731
    return {"sent": total, "errors": errors, "messages_per_second": round(total / elapsed, 1),
            "post_p50_ms": pct(0.5), "post_p99_ms": pct(0.99)}


def postgres_url() -> str | None:
    """The local PostgreSQL (database `test`) when it accepts connections, else None."""
    url = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    try:
        import asyncpg

        async def probe() -> None:
            conn = await asyncpg.connect(url.replace("+asyncpg", ""), timeout=3)
            await conn.close()

        asyncio.run(probe())
    except Exception:
        return None
    return url


def run(members: int, rate: float, seconds: float, database_url: str | None = None) -> dict:
    extra = {"database_url": database_url, "database_schema": f"bench_{uuid.uuid4().hex[:8]}"} if database_url else {}
    with messenger_server(extra) as (url, server):
        sender, users, thread = asyncio.run(setup(url, members))
        gen = subprocess.Popen(pinned(["node", str(LOADGEN / "members.mjs"), json.dumps({"url": url, "members": users})], 1),
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert json.loads(stdout_of(gen).readline())["phase"] == "ready"
        cpu_before, gen_before, began = cpu_seconds(server.pid), cpu_seconds(gen.pid), time.monotonic()
        with running_on(1):  # the sender shares the load core with the receivers, never the server's
            sent = asyncio.run(send(url, sender, thread, rate, seconds))
        elapsed = time.monotonic() - began
        server_cpu = round(100 * (cpu_seconds(server.pid) - cpu_before) / elapsed)
        receiver_cpu = round(100 * (cpu_seconds(gen.pid) - gen_before) / elapsed)
        time.sleep(1.0)  # let the last deliveries arrive
        stdin_of(gen).write("done\n")
        stdin_of(gen).flush()
        seen = json.loads(stdout_of(gen).readline())
        gen.wait(timeout=30)
    expected = sent["sent"] * members
    return {"members": members, "database": "postgresql" if database_url else "sqlite", "offered_rate": rate, **sent, "delivered": seen["deliveries"],
            "lost": expected - seen["deliveries"], "last_delivery_p50_ms": seen["p50_ms"],
            "last_delivery_p99_ms": seen["p99_ms"], "last_delivery_max_ms": seen["max_ms"],
            "server_cpu_percent": server_cpu, "receivers_cpu_percent": receiver_cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=100)
    parser.add_argument("--rate", type=float, nargs="+", default=[200.0], help="messages per second")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--quick", action="store_true", help="smoke mode: 10 members, 20 messages/s for 2 s")
    parser.add_argument("--database-url", help="e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test "
                                               "(a fresh schema is used); default: the embedded SQLite")
    args = parser.parse_args()
    if args.quick:
        args.members, args.rate, args.seconds = 10, [20.0], 2
    ensure_loadgen()
    rows = [run(args.members, rate, args.seconds, args.database_url) for rate in args.rate]
    print(table(rows, COLUMNS))
    print(f"results: {save('message_path', rows, args.quick)}")


if __name__ == "__main__":
    main()
