"""After a burst of connections, what they keep alive is moved out of the collector's sight; handed back when most
of them are gone (core/runtime.BurstFreezer)."""
from __future__ import annotations

import gc

from messenger_gateway.core import runtime


def test_a_finished_burst_is_frozen_and_a_mass_departure_unfreezes(monkeypatch):
    monkeypatch.setattr(runtime, "_tuned", True)
    live = [0]
    freezer = runtime.BurstFreezer(lambda: live[0], burst=1000)
    kept = [[n] for n in range(5000)]  # what a burst of sockets would keep alive
    try:
        live[0] = 1500
        freezer.check()  # still growing fast: wait for the burst to end
        assert freezer.freezes == 0
        live[0] = 1550
        freezer.check()
        assert freezer.freezes == 1 and gc.get_freeze_count() >= len(kept)
        live[0] = 1600
        freezer.check()  # a few more: not a new burst
        assert freezer.freezes == 1
        live[0] = 700  # fewer than half of those frozen: their cycles must be collectable again
        freezer.check()
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()


def test_a_process_that_is_not_serving_never_freezes(monkeypatch):
    monkeypatch.setattr(runtime, "_tuned", False)
    freezer = runtime.BurstFreezer(lambda: 50_000, burst=1000)
    freezer.check()
    freezer.check()
    assert freezer.freezes == 0
