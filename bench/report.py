"""docs/performance.md from one run of every scenario: machine, date, command, tables and ratios."""
from __future__ import annotations

import os
import platform
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT

DOC = ROOT / "docs" / "performance.md"

FINDINGS = """\
## What the profiles showed, and what we changed

Profiles were taken with `py-spy record` on the server process during the benchmarks.

| finding | change | effect (same harness) |
|---|---|---|
| Every WebSocket frame was deflate-compressed for every socket (permessage-deflate negotiated by default); zlib contexts also cost ~90 KB per socket | `gateway.websocket_compression: false` by default (Socket.IO 4's Node server also leaves it off) | RSS per socket 122 KB -> 31 KB |
| `sio.emit` once per channel: one JSON encoding (stdlib) and one task per recipient, then a queue hop and a writer task per socket | `messenger_gateway/gateway/delivery.py`: the payload is encoded once with orjson, each channel's packet and its WebSocket frame are built once, and written straight to every idle socket's transport (queued as before when the socket is busy, so order holds); one Redis message per publish across nodes | 1,000 sockets: saturation ~27k -> ~100k deliveries/s; p99 at 47k/s 337 ms -> 57 ms |
| The default GC thresholds ran young-generation collections hundreds of times a second during fan-out | `core/runtime.tune_gc()` at start-up (freeze start-up objects, gen-0 threshold 100k, later 10k: see below) | p99 at 47k/s 337 ms -> 111 ms (before the direct write) |
| SQLite write transactions on several pooled connections waited in SQLite's sleeping busy handler | one SQLite connection, so transactions queue in asyncio | message to 100 members at 100/s: p99 1.9 s -> 95 ms |
| Each database round trip waited behind 100 writer tasks per message | the direct write above removes those tasks | same: p99 95 ms -> 22 ms; saturation ~115 -> ~200 messages/s |
| Heartbeat: three counter queries, settings and token lookups per request | counters cached per user and dropped exactly when an action changes them (on every node, through the control channel) | ~570 -> ~3,300 requests/s, 0 SQL statements on the common path |
| Message send: 19 round trips between the event loop and aiosqlite's thread (4 per SELECT, 3 per write), ~40 µs of CPU each on one core and far more under load, for statements that take microseconds in SQLite | `messenger_gateway/storage/sqlite_driver.py`: one call per statement (rows fetched with it); statements that ran fast last time run inline on the loop, new or slow ones on the thread; commits inline, WAL checkpoints every second on their own connection and thread; lock waits only ever on the thread | server CPU per send (no sockets, saturated) 4.4 -> 1.5 ms |
| Every message read the whole participant list, and the three writes went through the ORM's unit of work | the audience is remembered per node and checked against `threads.audience_version` (replaced by a flush hook whenever a participant joins, leaves or (un)mutes), the writes are three prebuilt Core statements | part of the 4.4 -> 1.5 ms above (send: 5 -> 4 statements) |
| A young-generation collection every 100k allocations paused 67-75 ms here (it scans every object it finds) | gen-0 threshold 10k: pauses of 5-6 ms | message path p99 at 200/s ~150 ms -> ~40 ms |
| One `send()` per socket per message: on loopback each costs 10-15 µs of kernel time, the largest single cost of a message to 100 members | frames for a socket are held until the loop's next turn and written together (`LocalDelivery._write_soon`); order per socket is kept | at saturation 1.9 frames per write, ~+30% messages/s; unchanged when idle |
| The message-path load core was saturated by socket.io-client decoding 20,000 packets/s (60-80% CPU) plus an unpinned sender that sometimes ran on the server's core, so part of the latency measured was the harness's | receivers speak Engine.IO/Socket.IO over `ws` directly (same bytes on the wire), the sender runs on the load core | receivers 27-36% CPU; last-delivery p99 at 150/s 163 -> 29 ms with the same server |
| PostgreSQL: every message updates its thread row, and the row lock was held across three round trips, so sends to one busy group queued on it (~100 messages/s with the server at 56% CPU) | the thread touch and the sender's mark-read are one statement (a data-modifying `WITH`), the last before COMMIT | 150 messages/s sustained, p99 76 ms; saturates ~165/s with the database on the same two cores |
| An idle socket held python-engineio's reader task (a task wrapping every read for its timeout), a writer task blocked on an `asyncio.Queue` (three deques and an Event), and a task per ping sleeping out the interval, plus Socket.IO's copy of the request environ | `gateway/websocket_transport.py`: the request handler reads (its timeout a timer), a `WireQueue` holds nothing until a packet waits and drains with a task only while there is something to write, pings are timers; the environ is trimmed once the connection is accepted (`python -m bench.socket_memory` shows what is left) | RSS per idle socket (public channel, 5,000 sockets): 32.3 -> 21.6 KB |
| The fan-out receivers (socket.io-client, then `ws`' per-message events) and a `fetch` publisher saturated the load core first, so saturation figures were the harness's | `bench/loadgen/fanout_ws.mjs`: WebSocket frames parsed from the bytes read over TCP, latency read without decoding, node's `http` with kept-alive connections for the publisher | load core at saturation (1,000 sockets): 94-97% -> 34-40%; our saturation figure 84k -> 199k-277k deliveries/s (runs vary) with the same server |
| One event to 20,000 sockets was one synchronous pass (about 200 ms here) that every socket and request waited behind; bounding it by 500 sockets a turn cut saturation to 74k deliveries/s (each event got turns of its own, so a socket no longer received several events in one write) | a turn delivers and writes for about 6 ms (`TURN_SECONDS`), shared by the write flush and the fan-out (asyncio runs every ready callback in one turn), and goes on with as many waiting deliveries as fit, in publish order | saturation (1,000 sockets) 271k unbounded -> 74k with 500 sockets a turn; with 4 / 6 / 8 ms a turn, one A/B run: 115k / 141k / 175k deliveries/s, and at 5,000 sockets and 5 events/s 5 / 35 / 190 stalls over 20 ms in 225 events (worst 64 / 62 / 79 ms): 6 ms kept |
| Each event allocated a tuple per socket (the room snapshot) and a list per socket (the frames held for the next write): 10,000 tracked objects per event to 5,000 sockets, a young collection every event | the room's socket ids only (strings are not tracked), one frame held as bytes | not measured on its own (it is in the Pauses figure) |
"""


COSTS = """\
## What later features cost the hot paths

Measured before and after the change, the two checkouts alternating in one run, since figures from different
days on this shared machine differ by more than the costs: `python -m bench.overhead --trees BEFORE AFTER`
(server CPU per unit of work, fan-out at saturation) and `python -m bench.instructions --trees BEFORE AFTER`
(valgrind instruction counts per heartbeat, which stay within 0.3% from run to run).

| change | heartbeat | fan-out |
|---|---|---|
| Metrics, access log, drain bookkeeping (issue "Ship it", 2026-12-01): counters are plain integers read when `/metrics` is scraped (one addition per publish, nothing per socket on the fast path), HTTP stats one dict lookup, one bisect and three additions per request | 1,105,000 -> 1,107,000 instructions per heartbeat, server and client together (+0.2%; two runs each: 1,107,351 / 1,102,583 before, 1,107,251 / 1,106,667 after); server CPU per heartbeat, median of 3 rounds: 274 -> 253 µs | saturation (1,000 sockets, 120k/s offered), 9 rounds each: mean 112,763 -> 113,140 deliveries/s (+0.3%), median 115,340 -> 113,529 (-1.6%; the rounds of one checkout alone spread from 99,668 to 118,437); server CPU per 1,000 deliveries at 47k/s: 10.7 -> 10.2 ms; 0 lost |
"""


def _machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model or platform.processor()}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def _table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    head = "| " + " | ".join(columns) + " |"
    sep = "|" + "|".join("---" for _ in columns) + "|"
    body = ["| " + " | ".join(str(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join([head, sep, *body])


def targets(fan: list[dict[str, Any]], cap: list[dict[str, Any]], beats: list[dict[str, Any]],
            path: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue #7's targets against this run's figures."""
    rows: list[dict[str, Any]] = []
    by = {(r["stack"], r["sockets"], r["offered_rate"]): r for r in fan}
    for (stack, sockets, rate), ours in by.items():
        les = by.get(("les", sockets, rate))
        if stack == "ours" and les:
            ratio = ours["deliveries_per_second"] / max(1, les["deliveries_per_second"])
            met = ratio >= 0.99 and ours["p99_ms"] <= les["p99_ms"] and ours["lost"] == 0
            rows.append({"target": f"fan-out {sockets} sockets at {rate} events/s: >= 1.0x laravel-echo-server, "
                                   "p99 no worse, 0 lost",
                         "result": f"{ratio:.2f}x, p99 {ours['p99_ms']} vs {les['p99_ms']} ms, lost {ours['lost']}",
                         "met": "yes" if met else "no"})
    for r in cap:
        if r["stack"] == "ours":
            met = r["connected"] == r["target"] and r["rss_kb_per_socket"] <= 50 and r["rss_mb"] <= 1024
            rows.append({"target": "20,000 sockets in <= 1 GB (<= 50 KB per socket)",
                         "result": f"{r['connected']} sockets (the per-process file limit), {r['rss_mb']} MB, "
                                   f"{r['rss_kb_per_socket']} KB per socket", "met": "yes" if met else "no"})
    for r in beats:
        if r["mode"] == "steady":
            met = r["rps"] >= 3000 and r["sql_per_heartbeat"] < 0.1
            rows.append({"target": "heartbeat >= 3,000 requests/s with no SQL on the common path",
                         "result": f"{r['rps']} requests/s, {r['sql_per_heartbeat']} statements per heartbeat",
                         "met": "yes" if met else "no"})
    for r in path:
        if r["offered_rate"] == 200.0 and r.get("database", "sqlite") == "sqlite":
            met = r["last_delivery_p99_ms"] is not None and r["last_delivery_p99_ms"] <= 50 and r["lost"] == 0
            rows.append({"target": "message to a 100-member group: p99 <= 50 ms at 200 messages/s",
                         "result": f"p99 {r['last_delivery_p99_ms']} ms at {r['messages_per_second']} messages/s "
                                   f"(server CPU {r['server_cpu_percent']}%)", "met": "yes" if met else "no"})
    return rows


SATURATION = {1000: 300.0, 5000: 50.0}  # offered events/s at which each socket count saturates every stack here
SATURATION_TARGET = {1000: 3.0, 5000: 2.0}  # x laravel-echo-server's deliveries/s (issue "Performance II")


def targets_ii(fan: list[dict[str, Any]], cap: list[dict[str, Any]], pauses: list[dict[str, Any]]
               ) -> list[dict[str, Any]]:
    """Issue "Performance II"'s targets against this run's figures."""
    rows: list[dict[str, Any]] = []
    by = {(r["stack"], r["sockets"], r["offered_rate"]): r for r in fan}
    for sockets, rate in SATURATION.items():
        ours, les = by.get(("ours", sockets, rate)), by.get(("les", sockets, rate))
        if ours and les:
            ratio = ours["deliveries_per_second"] / max(1, les["deliveries_per_second"])
            # ours must not be harness-bound; laravel-echo-server may be, when its own server is saturated anyway
            les_limited_by_itself = les["harness_bound"] == "no" or les["server_cpu_percent"] >= 95
            rows.append({"target": f"fan-out saturation, {sockets} sockets: >= {SATURATION_TARGET[sockets]:g}x "
                                   "laravel-echo-server's deliveries/s, receivers not the ceiling",
                         "result": f"{ratio:.2f}x ({ours['deliveries_per_second']} vs {les['deliveries_per_second']}/s;"
                                   f" load core {ours['load_cpu_percent']}% vs {les['load_cpu_percent']}%, server "
                                   f"{ours['server_cpu_percent']}% vs {les['server_cpu_percent']}%)",
                         "met": "yes" if ratio >= SATURATION_TARGET[sockets] and ours["harness_bound"] == "no"
                                and les_limited_by_itself else "no"})
    worse = [f"{s} sockets at {r} events/s ({ours['p99_ms']} vs {les['p99_ms']} ms)"
             for (stack, s, r), ours in by.items() if stack == "ours"
             for les in [by.get(("les", s, r))] if les and ours["p99_ms"] >= les["p99_ms"]]
    compared = sum(1 for (stack, s, r) in by if stack == "ours" and ("les", s, r) in by)
    rows.append({"target": "fan-out p99 lower than laravel-echo-server's at every offered rate",
                 "result": "lower in all %d rows" % compared if not worse else "not lower: " + "; ".join(worse),
                 "met": "yes" if compared and not worse else "no"})
    for r in cap:
        if r["stack"] == "ours":
            les = next((c for c in cap if c["stack"] == "les"), None)
            rows.append({"target": "memory per idle socket (a private and a presence channel each, 19,500 sockets) "
                                   "<= 12 KB, at or below laravel-echo-server's",
                         "result": f"{r['rss_kb_per_socket']} KB" + (f" vs {les['rss_kb_per_socket']} KB" if les else ""),
                         "met": "yes" if r["rss_kb_per_socket"] <= 12 and (not les or r["rss_kb_per_socket"]
                                                                           <= les["rss_kb_per_socket"]) else "no"})
    for r in pauses:
        rows.append({"target": f"longest event-loop stall <= 20 ms ({r['sockets']} sockets, steady fan-out, "
                               f"{r['seconds'] / 60:g} minutes)",
                     "result": f"{r['stall_max_ms']} ms, {r['stalls_over_20ms']} stalls over 20 ms",
                     "met": "yes" if r["stall_max_ms"] <= 20 else "no"})
    return rows


def write(sections: list[tuple[str, str, list[dict[str, Any]], list[str], list[str]]], command: str) -> Path:
    """sections: (title, explanation, rows, columns, ratio lines)."""
    parts = [
        "# Performance",
        "",
        f"Produced by `{command}` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}.",
        f"Machine: {_machine()}. Servers are pinned to core 0 (`taskset`), load generators to core 1; every stack",
        "runs in the same harness in the same run, so the ratios are the figures to compare.",
        "",
    ]
    for title, explanation, rows, columns, ratios in sections:
        parts += [f"## {title}", "", explanation, "", _table(rows, columns), ""]
        parts += [f"- {line}" for line in ratios]
        parts.append("")
    parts.append(FINDINGS)
    parts.append(COSTS)
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text("\n".join(parts))
    return DOC
