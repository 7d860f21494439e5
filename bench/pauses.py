"""Pauses: the longest event-loop stall while N sockets are held and a steady fan-out runs.

    python -m bench.pauses [--sockets 19500] [--rate 5] [--seconds 600] [--quick]

The sockets (socket.io-client, from bench/loadgen/capacity.mjs, at most 9,000 per process, on core 1) subscribe to
one public channel; events are published to it at `rate` per second through the broadcast API for `seconds`. The
server's own watch (`messenger_event_loop_stall_max_seconds`, a ticker every 50 ms noting how late it woke up) gives
the worst stall of the steady part (read from `..._recent_max_seconds`, the last minute's worst, twice a minute,
after a minute's wait so that connecting is not counted), and `messenger_event_loop_stalls_total` how many passed
20 ms meanwhile. Target: <= 20 ms.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import time
import urllib.request

from bench.common import APP, LOADGEN, ensure_loadgen, messenger_server, pinned, rss_kb, save, stdin_of, stdout_of, table

COLUMNS = ["sockets", "connected", "rate", "seconds", "events", "stall_max_ms", "stalls_over_20ms", "rss_mb"]
PER_GENERATOR = 9000


def metric(text: str, name: str) -> float:
    match = re.search(rf"^{name} ([0-9.e+-]+)$", text, re.M)
    return float(match.group(1)) if match else float("nan")


def recent_worst(url: str) -> float:
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as resp:
        return metric(resp.read().decode(), "messenger_event_loop_stall_recent_max_seconds")


def publish(url: str, n: int) -> None:
    body = json.dumps({"name": "Tick", "channel": "capacity", "data": {"n": n, "at": time.time()}}).encode()
    request = urllib.request.Request(f"{url}/apps/{APP['app_id']}/events", data=body, method="POST", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {APP['key']}"})
    urllib.request.urlopen(request, timeout=10).read()


def run(sockets: int, rate: float, seconds: float, settle: float = 61.0) -> dict:
    with messenger_server() as (url, proc):
        generators, remaining = [], sockets
        while remaining > 0:
            n = min(PER_GENERATOR, remaining)
            spec = {"url": url, "sockets": n}
            generators.append(subprocess.Popen(pinned(["node", str(LOADGEN / "capacity.mjs"), json.dumps(spec)], 1),
                                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True))
            remaining -= n
        connected = sum(json.loads(stdout_of(g).readline())["connected"] for g in generators)
        # what connecting cost is not the steady state: the watch is read before and after the steady part
        with urllib.request.urlopen(f"{url}/metrics", timeout=10) as resp:
            before = resp.read().decode()
        time.sleep(settle)  # 61 s: the last minute's worst no longer covers the connecting
        started, events, steady_worst, scraped = time.monotonic(), 0, 0.0, time.monotonic()
        while time.monotonic() - started < seconds:
            publish(url, events)
            events += 1
            if time.monotonic() - scraped > 30:  # the recent worst covers a minute: read it twice a minute
                steady_worst = max(steady_worst, recent_worst(url))
                scraped = time.monotonic()
            time.sleep(max(0.0, started + events / rate - time.monotonic()))
        with urllib.request.urlopen(f"{url}/metrics", timeout=10) as resp:
            after = resp.read().decode()
        steady_worst = max(steady_worst, metric(after, "messenger_event_loop_stall_recent_max_seconds"))
        held = rss_kb(proc.pid)
        for g in generators:
            stdin_of(g).close()
            g.wait(timeout=60)
    return {"sockets": sockets, "connected": connected, "rate": rate, "seconds": seconds, "events": events,
            "stall_max_ms": round(steady_worst * 1000, 1),
            "stalls_over_20ms": int(metric(after, "messenger_event_loop_stalls_total")
                                    - metric(before, "messenger_event_loop_stalls_total")),
            "stall_max_while_connecting_ms": round(metric(before, "messenger_event_loop_stall_max_seconds") * 1000, 1),
            "rss_mb": round(held / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=19_500)
    parser.add_argument("--rate", type=float, default=5.0, help="events per second to every socket")
    parser.add_argument("--seconds", type=float, default=600.0)
    parser.add_argument("--quick", action="store_true", help="smoke mode: 200 sockets for 5 s, connecting included")
    args = parser.parse_args()
    if args.quick:
        args.sockets, args.seconds = 200, 5.0
    ensure_loadgen()
    rows = [run(args.sockets, args.rate, args.seconds, 2.0 if args.quick else 61.0)]
    print(table(rows, COLUMNS + ["stall_max_while_connecting_ms"]))
    print(f"results: {save('pauses', rows, args.quick)}")


if __name__ == "__main__":
    main()
