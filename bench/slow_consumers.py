"""Slow consumers: sockets that never read, under a steady fan-out, with and without the per-socket bound.

    python -m bench.slow_consumers [--sockets 10] [--rate 50] [--seconds 15] [--kb 20] [--quick]

For each bound (gateway.limits.max_queued_kb: the default 1024 KB, and 1 GB, i.e. no real bound) it starts a
server, connects one socket that reads and N that never read, all on one channel, publishes events of `--kb` KB at
`--rate`/s through the broadcast API, and samples the server's RSS every second; then the never-reading sockets go
away. That attack runs `--rounds` times on one server: memory that was freed is reused, so with the bound the
peaks stay flat round after round (RSS itself seldom shrinks: CPython keeps freed arenas). Prints the first RSS
curve, the peak and end of each round, how many slow sockets the server closed and what the reading socket got.
"""
from __future__ import annotations

import argparse
import asyncio
import time

import aiohttp
import socketio

from bench.common import APP, messenger_server, rss_kb, save, table
from bench.raw_socket import never_reading_socket

CHANNEL = "news"
COLUMNS = ["bound_kb", "slow_sockets", "event_kb", "rate", "seconds", "baseline_rss_mb", "rss_curve_mb",
           "peak_per_round_mb", "end_per_round_mb", "slow_closed", "reader_received", "sent"]


async def attack(url: str, proc_pid: int, sockets: int, rate: float, seconds: float, event_kb: int,
                 http: aiohttp.ClientSession) -> tuple[list[int], int]:
    """N never-reading sockets while events are published; they go away at the end. RSS every second, and sent."""
    host, port = url.removeprefix("http://").split(":")
    slow = [await never_reading_socket(host, int(port), CHANNEL) for _ in range(sockets)]
    await asyncio.sleep(0.3)
    body = {"name": "Big", "channel": CHANNEL, "data": {"text": "x" * (event_kb * 1024)}}
    headers = {"Authorization": f"Bearer {APP['key']}"}
    curve: list[int] = []
    sent = 0
    started = time.monotonic()
    next_sample = started + 1
    while time.monotonic() - started < seconds:
        async with http.post(f"{url}/apps/{APP['app_id']}/events", json=body, headers=headers) as reply:
            sent += reply.status == 200
        if time.monotonic() >= next_sample:
            curve.append(rss_kb(proc_pid))
            next_sample += 1
        await asyncio.sleep(max(0.0, started + sent / rate - time.monotonic()))
    await asyncio.sleep(1)
    for _, writer in slow:
        writer.close()
    await asyncio.sleep(4)
    return curve, sent


async def run(bound_kb: int, sockets: int, rate: float, seconds: float, event_kb: int, rounds: int) -> dict:
    gateway = {"clients": [APP], "limits": {"max_anonymous_connections_per_address": 1_000_000,
                                             "max_queued_kb": bound_kb}}
    with messenger_server({"gateway": gateway}) as (url, proc):
        received = 0
        reader = socketio.AsyncClient()

        @reader.on("Big")
        def on_big(channel: str, data: dict) -> None:
            nonlocal received
            received += 1

        await reader.connect(url, transports=["websocket"])
        await reader.emit("subscribe", {"channel": CHANNEL, "auth": {"headers": {}}})
        await asyncio.sleep(0.5)
        baseline = rss_kb(proc.pid)
        peaks: list[int] = []
        ends: list[int] = []
        first_curve: list[int] = []
        sent = 0
        async with aiohttp.ClientSession() as http:
            for n in range(rounds):  # a freed socket's memory is reused: later rounds do not climb higher
                curve, round_sent = await attack(url, proc.pid, sockets, rate, seconds, event_kb, http)
                first_curve = first_curve or curve
                peaks.append(max(curve + [baseline]))
                ends.append(rss_kb(proc.pid))
                sent += round_sent
            async with http.get(f"{url}/metrics") as reply:
                metrics = await reply.text()
        closed = next((float(line.split()[1]) for line in metrics.splitlines()
                       if line.startswith("messenger_slow_sockets_closed_total ")), 0.0)
        await reader.disconnect()

    def mb(values: list[int]) -> str:
        return " ".join(f"{kb / 1024:.0f}" for kb in values)

    return {
        "bound_kb": bound_kb, "slow_sockets": sockets, "event_kb": event_kb, "rate": rate, "seconds": seconds,
        "baseline_rss_mb": round(baseline / 1024, 1), "rss_curve_mb": mb(first_curve), "peak_per_round_mb": mb(peaks),
        "end_per_round_mb": mb(ends), "slow_closed": int(closed), "reader_received": received, "sent": sent,
    }


def run_all(sockets: int = 10, rate: float = 50, seconds: float = 15, event_kb: int = 20, rounds: int = 3) -> list[dict]:
    """The default bound (1024 KB) and, for contrast, 1 GB (no real bound)."""
    return [asyncio.run(run(bound, sockets, rate, seconds, event_kb, rounds)) for bound in (1024, 1_048_576)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=10)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--kb", type=int, default=20, help="size of each event")
    parser.add_argument("--rounds", type=int, default=3, help="attacks in a row on one server")
    parser.add_argument("--quick", action="store_true", help="smoke mode: 2 sockets, 2 s, 1 round")
    args = parser.parse_args()
    if args.quick:
        args.sockets, args.seconds, args.rounds = 2, 2, 1
    rows = run_all(args.sockets, args.rate, args.seconds, args.kb, args.rounds)
    print(table(rows, COLUMNS))
    print(f"results: {save('slow_consumers', rows, quick=args.quick)}")


if __name__ == "__main__":
    main()
