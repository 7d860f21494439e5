"""Capacity: open sockets until the target or the first failure, each subscribed to a private channel of its own
and a presence channel shared by ten (authorized by bench/auth_host.py, as a Laravel app would), idle.

    python -m bench.capacity [--sockets 19500] [--stacks ours baseline les] [--quick]

The bare python-socketio baseline joins the rooms without asking anyone.

Prints sockets held, time to connect them, the server's RSS and RSS per socket. This machine allows 20,000 open
files per process (`ulimit -Hn`, not raisable here), so one server cannot hold 20,000 sockets: the default target
is 19,500, spread over load-generator processes of at most 9,000 sockets each.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import time
from typing import ContextManager

from bench.common import (LOADGEN, auth_host, ensure_loadgen, les_server, messenger_server, pinned, rss_kb,
                          save, settled_rss_kb, stdin_of, stdout_of, table)
from bench.fanout import STACKS, client_dir, server_for

COLUMNS = ["stack", "target", "connected", "failed", "connect_seconds", "rss_mb", "rss_kb_per_socket"]
PER_GENERATOR = 9000


def guarded_server(stack: str, auth: str) -> ContextManager[tuple[str, subprocess.Popen]]:
    if stack == "ours":
        return messenger_server({"gateway": {"auth_host": auth}})
    if stack == "les":
        return les_server(auth)
    return server_for(stack)


def run_one(stack: str, target: int) -> dict:
    with auth_host() as auth, guarded_server(stack, auth) as (url, proc):
        time.sleep(0.5)
        idle = rss_kb(proc.pid)
        generators = []
        remaining = target
        while remaining > 0:
            n = min(PER_GENERATOR, remaining)
            spec = {"url": url, "sockets": n, "clientDir": client_dir(stack), "guarded": True,
                    "offset": target - remaining}
            generators.append(subprocess.Popen(pinned(["node", str(LOADGEN / "capacity.mjs"), json.dumps(spec)], 1),
                                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
            remaining -= n
        reports = [json.loads(stdout_of(g).readline()) for g in generators]
        held = settled_rss_kb(proc.pid)  # the subscriptions are authorized after the connects
        for g in generators:
            stdin_of(g).close()
            g.wait(timeout=60)
    connected = sum(r["connected"] for r in reports)
    return {"stack": stack, "target": target, "connected": connected, "failed": sum(r["failed"] for r in reports),
            "connect_seconds": max(r["connect_seconds"] for r in reports), "rss_mb": round(held / 1024, 1),
            "rss_kb_per_socket": round((held - idle) / max(1, connected), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=19_500)
    parser.add_argument("--stacks", nargs="+", default=list(STACKS), choices=STACKS)
    parser.add_argument("--quick", action="store_true", help="smoke mode: 200 sockets, ours only")
    args = parser.parse_args()
    if args.quick:
        args.sockets, args.stacks = 200, ["ours"]
    ensure_loadgen()
    print(f"open files allowed per process: {resource.getrlimit(resource.RLIMIT_NOFILE)[1]}")
    rows = [run_one(stack, args.sockets) for stack in args.stacks]
    print(table(rows, COLUMNS))
    print(f"results: {save('capacity', rows, args.quick)}")


if __name__ == "__main__":
    main()
