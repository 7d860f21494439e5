"""Fan-out: N sockets in one channel (Echo `subscribe`), events through POST /apps/{id}/events.

    python -m bench.fanout [--sockets 1000 5000] [--events 200] [--rate 50] [--stacks ...] [--redis] [--quick]

Stacks: ours (in-process bus), ours-redis (two nodes sharing Redis, half the sockets on each, events published to
one), the bare python-socketio baseline (bench/baseline/server.py) and laravel-echo-server 1.6.3.

Prints deliveries/s, p50/p99/max publish->receive latency, lost deliveries, and the server's RSS per socket.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
from typing import ContextManager, Iterator

from bench.common import (APP, LOADGEN, baseline_server, ensure_les, ensure_loadgen, les_server, messenger_server, pinned,
                          rss_kb, save, stdout_of, table)

COLUMNS = ["stack", "sockets", "events", "offered_rate", "received", "lost", "deliveries_per_second", "p50_ms", "p99_ms",
           "max_ms", "connect_seconds", "rss_mb", "rss_kb_per_socket"]


STACKS = ("ours", "ours-redis", "baseline", "les")
REDIS_URL = os.environ.get("MESSENGER_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def server_for(stack: str) -> ContextManager[tuple[str, subprocess.Popen]]:
    return {"ours": messenger_server, "baseline": baseline_server, "les": les_server}[stack]()


@contextlib.contextmanager
def two_nodes() -> Iterator[tuple[list[str], list[subprocess.Popen]]]:
    """Two of our server processes sharing one Redis (both pinned to core 0, like every server here)."""
    cluster = {"redis_url": REDIS_URL, "gateway": {"redis_prefix": f"bench{os.getpid()}:"}}
    with messenger_server(cluster) as (url_a, proc_a), messenger_server(cluster) as (url_b, proc_b):
        yield [url_a, url_b], [proc_a, proc_b]


def client_dir(stack: str) -> str | None:
    """laravel-echo-server needs socket.io-client 2 (installed next to it); the others the loadgen's 4.x."""
    return str(ensure_les()) if stack == "les" else None


def run_one(stack: str, sockets: int, events: int, rate: float) -> dict:
    if stack == "ours-redis":
        return run_cluster(sockets, events, rate)
    with server_for(stack) as (url, proc):
        idle_rss = rss_kb(proc.pid)
        spec = {"url": url, "sockets": sockets, "channel": "bench", "events": events, "rate": rate,
                "appId": APP["app_id"], "key": APP["key"], "holdSeconds": 1, "clientDir": client_dir(stack)}
        gen = subprocess.Popen(pinned(["node", str(LOADGEN / "fanout.mjs"), json.dumps(spec)], 1),
                               stdout=subprocess.PIPE, text=True)
        connected = json.loads(stdout_of(gen).readline())
        held_rss = rss_kb(proc.pid)
        result = json.loads(stdout_of(gen).readline())
        gen.wait(timeout=60)
    result["connect_seconds"] = connected["connect_seconds"]
    result["rss_mb"] = round(held_rss / 1024, 1)
    result["rss_kb_per_socket"] = round((held_rss - idle_rss) / sockets, 1)
    return {"stack": stack, **result}


def run_cluster(sockets: int, events: int, rate: float) -> dict:
    """Half the sockets on each of two nodes; events published to the first, fanned out over Redis."""
    with two_nodes() as (urls, procs):
        idle = sum(rss_kb(p.pid) for p in procs)
        spec = {"url": urls[0], "socketUrls": urls, "sockets": sockets, "channel": "bench", "events": events,
                "rate": rate, "appId": APP["app_id"], "key": APP["key"], "holdSeconds": 1}
        gen = subprocess.Popen(pinned(["node", str(LOADGEN / "fanout.mjs"), json.dumps(spec)], 1),
                               stdout=subprocess.PIPE, text=True)
        connected = json.loads(stdout_of(gen).readline())
        held = sum(rss_kb(p.pid) for p in procs)
        result = json.loads(stdout_of(gen).readline())
        gen.wait(timeout=60)
    result["connect_seconds"] = connected["connect_seconds"]
    result["rss_mb"] = round(held / 1024, 1)
    result["rss_kb_per_socket"] = round((held - idle) / sockets, 1)
    return {"stack": "ours-redis", **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="events published per second")
    parser.add_argument("--stacks", nargs="+", default=["ours", "baseline", "les"], choices=STACKS)
    parser.add_argument("--quick", action="store_true", help="smoke mode: 100 sockets, 20 events, ours only")
    parser.add_argument("--redis", action="store_true", help="also run two nodes sharing Redis (ours-redis)")
    args = parser.parse_args()
    if args.quick:
        args.sockets, args.events, args.rate, args.stacks = [100], 20, 20.0, ["ours"]
    if args.redis and "ours-redis" not in args.stacks:
        args.stacks.append("ours-redis")
    ensure_loadgen()
    rows = [run_one(stack, n, args.events, args.rate) for n in args.sockets for stack in args.stacks]
    print(table(rows, COLUMNS))
    for n in args.sockets:
        by_stack = {r["stack"]: r for r in rows if r["sockets"] == n}
        for other in ("baseline", "les"):
            if "ours" in by_stack and other in by_stack:
                ours, theirs = by_stack["ours"], by_stack[other]
                ratio = ours["deliveries_per_second"] / max(1, theirs["deliveries_per_second"])
                print(f"{n} sockets: deliveries/s us/{other} = {ratio:.2f}x; p99 {ours['p99_ms']} vs "
                      f"{theirs['p99_ms']} ms; RSS/socket {ours['rss_kb_per_socket']} vs {theirs['rss_kb_per_socket']} KB")
    print(f"results: {save('fanout', rows, args.quick)}")


if __name__ == "__main__":
    main()
