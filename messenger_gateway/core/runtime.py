"""Process-level tuning for serving: fewer, cheaper garbage collections."""
from __future__ import annotations

import gc


def tune_gc() -> None:
    """Collect the young generation every 10,000 allocations instead of 700, and move everything alive after
    start-up (modules, config, the app) out of the collector's sight. Fan-out allocates many short-lived objects;
    with the defaults the collector runs hundreds of times a second and its pauses show up as delivery latency
    (p99 at 47k deliveries/s: 337 ms before, 111 ms after). Not much further apart either: a young collection's
    pause grows with the objects it finds, and at 100,000 one took 67-75 ms on this machine (at 10,000: 5-6 ms),
    which alone pushed the message path's p99 from ~40 ms to ~150 ms."""
    gc.freeze()
    gc.set_threshold(10_000, 50, 1000)
