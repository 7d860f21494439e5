"""What a change costs the hot paths, as server CPU per unit of work (steadier than requests/s on a shared machine).

    python -m bench.overhead --trees /path/to/before /path/to/after [--rounds 3]

Each round runs, for each tree (a checkout of this repository), the steady heartbeat (200 users, 32 concurrent,
10 s) and the fan-out (1,000 sockets, 300 events at 47/s, under saturation), and reads the server's CPU time
around the load: microseconds of server CPU per heartbeat and per 1,000 deliveries; then the fan-out at
saturation (600 events at 120/s to 1,000 sockets) for deliveries/s. Trees alternate, so a
machine that slows down during the run slows both. Prints the medians and the change.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path


def one_tree() -> dict[str, float]:
    """Run inside a tree (its bench.common, its run.py); print the figures as JSON."""
    from bench.common import ROOT, cpu_seconds, ensure_loadgen, messenger_server, pinned
    from bench.heartbeat import register

    ensure_loadgen()
    figures: dict[str, float] = {}
    with messenger_server() as (url, proc):
        tokens = asyncio.run(register(url, 200))
        spec = {"url": url, "tokens": tokens, "seconds": 10, "concurrency": 32, "toggle": False}
        before = cpu_seconds(proc.pid)
        out = subprocess.run(pinned([sys.executable, "-m", "bench.heartbeat_load", json.dumps(spec)], 1),
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout
        used = cpu_seconds(proc.pid) - before
        result = json.loads(out)
        figures["heartbeat_rps"] = result["rps"]
        figures["heartbeat_cpu_us"] = used / max(1, result["requests"]) * 1e6
    result, used = _fanout(300, 47.0)
    figures["fanout_deliveries_per_second"] = result["deliveries_per_second"]
    figures["fanout_cpu_us_per_1k"] = used / max(1, result["received"]) * 1e9
    figures["fanout_lost"] = result["lost"]
    result, _ = _fanout(600, 120.0)  # saturation: 120k deliveries/s offered
    figures["saturation_deliveries_per_second"] = result["deliveries_per_second"]
    figures["fanout_lost"] += result["lost"]
    return figures


def _fanout(events: int, rate: float) -> tuple[dict, float]:
    """One fan-out run to 1,000 sockets: the load generator's result and the server CPU seconds while publishing."""
    from bench.common import messenger_server
    from bench.fanout import drive

    with messenger_server() as (url, proc):
        result = drive([url], [proc], 1000, events, rate, 4)
    return result, result["server_cpu_seconds"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trees", nargs=2, required=True, metavar=("BEFORE", "AFTER"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    runs: dict[str, list[dict[str, float]]] = {tree: [] for tree in args.trees}
    for round_number in range(args.rounds):
        for tree in args.trees:
            env = {**os.environ, "PYTHONPATH": tree}
            out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--one", "--trees", tree, tree],
                                 cwd=tree, env=env, capture_output=True, text=True, check=True).stdout
            runs[tree].append(json.loads(out.strip().splitlines()[-1]))
            print(f"round {round_number + 1} {tree}: {runs[tree][-1]}", flush=True)
    keys = ["heartbeat_cpu_us", "heartbeat_rps", "fanout_cpu_us_per_1k", "fanout_deliveries_per_second",
            "saturation_deliveries_per_second", "fanout_lost"]
    before, after = args.trees
    print(f"{'figure (median of ' + str(args.rounds) + ')':34} | {'before':>10} | {'after':>10} | change")
    for key in keys:
        b = statistics.median(r[key] for r in runs[before])
        a = statistics.median(r[key] for r in runs[after])
        change = f"{(a - b) / b * 100:+.1f}%" if b else "-"
        print(f"{key:34} | {b:10.1f} | {a:10.1f} | {change}")


if __name__ == "__main__":
    if "--one" in sys.argv:
        print(json.dumps(one_tree()))
    else:
        main()
