"""Every benchmark scenario in one bounded run, then docs/performance.md.

    python -m bench            # the full run (about 45 minutes), rewrites docs/performance.md
    python -m bench --quick    # smoke mode (a few minutes): small sizes, results in bench/results only

Scenarios: fan-out (ours, the bare python-socketio baseline, laravel-echo-server; two of our nodes on Redis;
one against two workers), capacity and what a socket costs, heartbeat, the message path to a 100-member group,
slow consumers (sockets that never read), and event-loop pauses under a steady fan-out.
"""
from __future__ import annotations

import argparse

from bench import capacity, fanout, heartbeat, message_path, pauses, report, slow_consumers, socket_memory
from bench.common import ensure_loadgen, save, table


def ratio_lines(rows: list[dict], key: str, higher_is_better: bool = True) -> list[str]:
    lines = []
    by = {(r["stack"], r["sockets"], r.get("offered_rate")): r for r in rows}
    for (stack, sockets, rate), ours in by.items():
        if stack != "ours":
            continue
        for other in ("baseline", "les"):
            theirs = by.get((other, sockets, rate))
            if theirs:
                lines.append(f"{sockets} sockets at {rate} events/s: deliveries/s us/{other} = "
                             f"{ours[key] / max(1, theirs[key]):.2f}x; p99 {ours['p99_ms']} ms vs {theirs['p99_ms']} ms; "
                             f"RSS/socket {ours['rss_kb_per_socket']} KB vs {theirs['rss_kb_per_socket']} KB")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    ensure_loadgen()
    stacks = ["ours"] if args.quick else ["ours", "baseline", "les"]
    plan = [(100, 20, 20.0)] if args.quick else [
        (1000, 300, 47.0), (1000, 600, 120.0), (1000, 900, report.SATURATION[1000]),
        (5000, 100, 10.0), (5000, 150, report.SATURATION[5000])]
    fan_rows = [fanout.run_one(stack, n, events, rate) for n, events, rate in plan for stack in stacks]
    if not args.quick:
        fan_rows.append(fanout.run_one("ours-redis", 1000, 300, 47.0))
    print(table(fan_rows, fanout.COLUMNS))
    save("fanout", quick=args.quick, rows=fan_rows)
    worker_rows = [] if args.quick else fanout.run_workers([1, 2], 1000, 900, report.SATURATION[1000])
    if worker_rows:
        print(table(worker_rows, fanout.WORKER_COLUMNS))
        save("workers", rows=worker_rows)

    cap_rows = [capacity.run_one(stack, 200 if args.quick else 19_500) for stack in stacks]
    print(table(cap_rows, capacity.COLUMNS))
    save("capacity", quick=args.quick, rows=cap_rows)
    memory_rows = socket_memory.run(200 if args.quick else 5000)
    print(table(memory_rows, socket_memory.COLUMNS))
    save("socket_memory", quick=args.quick, rows=memory_rows)

    hb_rows = heartbeat.run(20 if args.quick else 200, 2 if args.quick else 10, 32)
    print(table(hb_rows, heartbeat.COLUMNS))
    save("heartbeat", quick=args.quick, rows=hb_rows)

    mp_rows = [message_path.run(10 if args.quick else 100, rate, 2 if args.quick else 10)
               for rate in ([20.0] if args.quick else [100.0, 200.0, 250.0])]
    postgres = None if args.quick else message_path.postgres_url()
    if postgres:
        mp_rows += [message_path.run(100, rate, 10, postgres) for rate in (100.0, 150.0)]
    print(table(mp_rows, message_path.COLUMNS))
    path = save("message_path", quick=args.quick, rows=mp_rows)

    slow_rows = slow_consumers.run_all(2, 50, 2, 20, 1) if args.quick else slow_consumers.run_all()
    print(table(slow_rows, slow_consumers.COLUMNS))
    save("slow_consumers", quick=args.quick, rows=slow_rows)

    pause_rows = [pauses.run(200, 2.0, 5.0, 2.0) if args.quick else pauses.run(19_500, 2.0, 600.0)]
    print(table(pause_rows, pauses.COLUMNS))
    save("pauses", quick=args.quick, rows=pause_rows)
    if args.quick:
        print(f"results: {path}")
        return
    doc = report.write([
        ("Targets (issue \"Performance II\")", "Each target against this run.",
         report.targets_ii(fan_rows, cap_rows, pause_rows), ["target", "result", "met"], []),
        ("Targets (issue #7)", "Each target against this run.", report.targets(fan_rows, cap_rows, hb_rows, mp_rows),
         ["target", "result", "met"], []),
        ("Fan-out", "N sockets subscribed to one public channel through Echo's `subscribe`; events published with "
         "`POST /apps/{id}/events`; latency is publish -> receive. The receivers speak WebSocket, Engine.IO and "
         "Socket.IO themselves over TCP (Engine.IO 3 / Socket.IO 2 for laravel-echo-server), in several processes on "
         "the load core; "
         "`load_cpu_percent` is the whole load side (publisher and receivers) while events flow, and a row above "
         f"{fanout.HARNESS_BOUND_PERCENT}% is harness-bound. The rows at {report.SATURATION[1000]:g} and "
         f"{report.SATURATION[5000]:g} events/s offer more than any stack delivers here (saturation). `ours-redis` is "
         "two of our nodes sharing Redis, half the sockets on each, events published to one.",
         fan_rows, fanout.COLUMNS, ratio_lines(fan_rows, "deliveries_per_second")),
        ("Several cores", fanout.WORKERS_NOTE, worker_rows, fanout.WORKER_COLUMNS, []),
        ("Capacity", "Sockets opened until the target or the first failure, each subscribed to a private channel of "
         "its own and a presence channel shared by ten (authorized by a stand-in for a Laravel app's "
         "/broadcasting/auth; the bare python-socketio baseline joins the rooms without asking), then idle; RSS "
         "growth over the idle process. This machine allows 20,000 open files per process and it cannot be raised "
         "here, so one server cannot hold 20,000 sockets: the target is 19,500.", cap_rows, capacity.COLUMNS, []),
        ("What an idle socket costs", "Our server under tracemalloc (`python -m bench.socket_memory`), 5,000 "
         "sockets as in Capacity: Python's allocations per socket by the code that made them (tracemalloc's own "
         "overhead is not in these bytes, which are nearly all of the RSS above).",
         memory_rows, socket_memory.COLUMNS, []),
        ("Heartbeat", "`POST /api/messenger/heartbeat` from many users (steady: the common path; toggle: every beat "
         "changes the status and pushes `online.status`); SQL statements counted on an in-process server.",
         hb_rows, heartbeat.COLUMNS, []),
        ("Message path", "`POST /threads/{id}/messages` in a 100-member group, every member's socket subscribed to its "
         "private channel; latency from the POST to the last member's `new.message`. The members are WebSocket clients "
         "speaking Engine.IO/Socket.IO directly (node + `ws`), the sender an aiohttp client, both on the load core. "
         "The embedded SQLite first, then PostgreSQL on this machine when it is reachable (it shares the two cores).",
         mp_rows, message_path.COLUMNS, []),
        ("Slow consumers", "Sockets that never read (a raw WebSocket with a 4 KB receive window) on a channel that gets "
         "20 KB events at 50/s, next to one socket that reads; three attacks in a row on one server, with the default "
         "`gateway.limits.max_queued_kb` (1024) and with a 1 GB bound for contrast. RSS in MB, sampled every second.",
         slow_rows, slow_consumers.COLUMNS, []),
        ("Pauses", "The longest event-loop stall (our /metrics watch: a ticker every 50 ms noting how late it woke) "
         "while 19,500 sockets (socket.io-client, on the load core) are held in one public channel and events are "
         "published to all of them at a steady rate for ten minutes, connecting excluded; how many stalls passed "
         "20 ms meanwhile.", pause_rows, pauses.COLUMNS + ["stall_max_while_connecting_ms"], []),
    ], "python -m bench")
    print(f"report: {doc}")
    print(f"results: {path}")


if __name__ == "__main__":
    main()
