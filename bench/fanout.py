"""Fan-out: N sockets in one channel (Echo `subscribe`), events through POST /apps/{id}/events.

    python -m bench.fanout [--sockets 1000 5000] [--events 200] [--rate 50] [--stacks ...] [--redis] [--quick]

Stacks: ours (in-process bus), ours-redis (two nodes sharing Redis, half the sockets on each, events published to
one), the bare python-socketio baseline (bench/baseline/server.py) and laravel-echo-server 1.6.3.

The receivers (bench/loadgen/fanout_ws.mjs) speak Engine.IO/Socket.IO over `ws` directly, in several processes on
the load core. Prints deliveries/s, p50/p99/max publish->receive latency, lost deliveries, the server's RSS per
socket, and the CPU of the server and of the whole load side (publisher and receivers) while events flow: a row
whose load core is above 80% is marked harness-bound (its figures are the load generator's, not the server's).
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import time
from typing import ContextManager, Iterator

from bench.common import (APP, LOADGEN, baseline_server, cpu_seconds, ensure_les, family, ensure_loadgen, les_server,
                          messenger_server, pinned, rss_kb, save, stdout_of, table)

COLUMNS = ["stack", "sockets", "events", "offered_rate", "received", "lost", "deliveries_per_second", "p50_ms", "p99_ms",
           "max_ms", "connect_seconds", "rss_mb", "rss_kb_per_socket", "server_cpu_percent", "load_cpu_percent",
           "harness_bound"]
HARNESS_BOUND_PERCENT = 80


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
        with two_nodes() as (urls, procs):
            return {"stack": stack, **drive(urls, procs, sockets, events, rate, 4)}
    with server_for(stack) as (url, proc):
        return {"stack": stack, **drive([url], [proc], sockets, events, rate, 3 if stack == "les" else 4)}


def drive(urls: list[str], servers: list[subprocess.Popen], sockets: int, events: int, rate: float, eio: int) -> dict:
    """Sockets spread over `urls`, events published to the first; the servers' RSS and CPU and the load side's CPU
    while the events flow."""
    server_pids = [pid for p in servers for pid in family(p.pid)]  # with workers: the supervisor and its workers
    idle = sum(rss_kb(pid) for pid in server_pids)
    spec = {"url": urls[0], "socketUrls": urls, "sockets": sockets, "channel": "bench", "events": events,
            "rate": rate, "appId": APP["app_id"], "key": APP["key"], "holdSeconds": 1, "eio": eio}
    gen = subprocess.Popen(pinned(["node", str(LOADGEN / "fanout_ws.mjs"), json.dumps(spec)], 1),
                           stdout=subprocess.PIPE, text=True)
    out = stdout_of(gen)
    connected = json.loads(out.readline())
    held = sum(rss_kb(pid) for pid in server_pids)
    load_pids = connected["pids"]
    assert json.loads(out.readline())["phase"] == "sending"
    started = time.monotonic()
    server_before = sum(cpu_seconds(pid) for pid in server_pids)
    load_before = sum(cpu_seconds(pid) for pid in load_pids)
    line = out.readline()  # the receivers' results are read after their last delivery (or the drain deadline)
    wall = time.monotonic() - started
    server_cpu = sum(cpu_seconds(pid) for pid in server_pids) - server_before
    load_cpu = sum(cpu_seconds(pid) for pid in load_pids if os.path.exists(f"/proc/{pid}")) - load_before
    result = json.loads(line)
    gen.wait(timeout=60)
    result["rss_mb"] = round(held / 1024, 1)
    result["rss_kb_per_socket"] = round((held - idle) / sockets, 1)
    result["server_cpu_seconds"] = round(server_cpu, 3)
    result["server_cpu_percent"] = round(100 * server_cpu / wall)
    result["load_cpu_percent"] = round(100 * load_cpu / wall)
    result["harness_bound"] = "yes" if result["load_cpu_percent"] > HARNESS_BOUND_PERCENT else "no"
    return result


WORKER_COLUMNS = ["workers", "sockets", "events", "offered_rate", "received", "lost", "deliveries_per_second", "p50_ms",
                  "p99_ms", "server_cpu_percent", "load_cpu_percent"]
WORKERS_NOTE = (
    "`server.workers: N` on Redis + PostgreSQL, the server free to use both cores (`taskset -c 0,1`), at "
    "saturation, 1 worker against 2 in the same harness. Only indicative: this machine has two cores, so the "
    "receivers and the publisher share a core with a worker (and with Redis and PostgreSQL); with the load "
    "generator on another machine each worker would have a core of its own. `server_cpu_percent` is all the "
    "workers together (200% = both cores).")


def run_workers(counts: list[int], sockets: int, events: int, rate: float) -> list[dict]:
    from bench.message_path import postgres_url

    database = postgres_url()
    if database is None:
        print("workers: no PostgreSQL reachable, skipped")
        return []
    rows = []
    for n in counts:
        config = {"redis_url": REDIS_URL, "database_url": database, "database_schema": f"bench_w{os.getpid()}_{n}",
                  "server": {"workers": n}, "gateway": {"redis_prefix": f"benchw{os.getpid()}{n}:"}}
        with messenger_server(config, core="0,1") as (url, proc):
            time.sleep(3)  # the workers start after the supervisor answers
            rows.append({"workers": n, **drive([url], [proc], sockets, events, rate, 4)})
    return rows


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
