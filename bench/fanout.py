"""Fan-out: N sockets in one channel (Echo `subscribe`), events through POST /apps/{id}/events.

    python -m bench.fanout [--sockets 1000 5000] [--events 200] [--rate 50] [--quick]

Prints deliveries/s, p50/p99/max publish->receive latency, lost deliveries, and the server's RSS per socket.
"""
from __future__ import annotations

import argparse
import json
import subprocess

from bench.common import (APP, LOADGEN, baseline_server, ensure_les, ensure_loadgen, les_server, messenger_server, pinned,
                          rss_kb, save, table)

COLUMNS = ["stack", "sockets", "events", "offered_rate", "received", "lost", "deliveries_per_second", "p50_ms", "p99_ms",
           "max_ms", "connect_seconds", "rss_mb", "rss_kb_per_socket"]


STACKS = ("ours", "baseline", "les")


def server_for(stack: str):  # type: ignore[no-untyped-def]
    return {"ours": messenger_server, "baseline": baseline_server, "les": les_server}[stack]()


def client_dir(stack: str) -> str | None:
    """laravel-echo-server needs socket.io-client 2 (installed next to it); the others the loadgen's 4.x."""
    return str(ensure_les()) if stack == "les" else None


def run_one(stack: str, sockets: int, events: int, rate: float) -> dict:
    with server_for(stack) as (url, proc):
        idle_rss = rss_kb(proc.pid)
        spec = {"url": url, "sockets": sockets, "channel": "bench", "events": events, "rate": rate,
                "appId": APP["app_id"], "key": APP["key"], "holdSeconds": 1, "clientDir": client_dir(stack)}
        gen = subprocess.Popen(pinned(["node", str(LOADGEN / "fanout.mjs"), json.dumps(spec)], 1),
                               stdout=subprocess.PIPE, text=True)
        connected = json.loads(gen.stdout.readline())
        held_rss = rss_kb(proc.pid)
        result = json.loads(gen.stdout.readline())
        gen.wait(timeout=60)
    result["connect_seconds"] = connected["connect_seconds"]
    result["rss_mb"] = round(held_rss / 1024, 1)
    result["rss_kb_per_socket"] = round((held_rss - idle_rss) / sockets, 1)
    return {"stack": stack, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="events published per second")
    parser.add_argument("--stacks", nargs="+", default=list(STACKS), choices=STACKS)
    parser.add_argument("--quick", action="store_true", help="smoke mode: 100 sockets, 20 events, ours only")
    args = parser.parse_args()
    if args.quick:
        args.sockets, args.events, args.rate, args.stacks = [100], 20, 20.0, ["ours"]
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
    print(f"results: {save('fanout', rows)}")


if __name__ == "__main__":
    main()
