"""The in-memory channel history on its own: positions, what a position still covers, and its bounds."""
from __future__ import annotations

from messenger_gateway.gateway.history import MemoryHistory, Position


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_positions_count_per_channel_and_only_guarded_channels_have_them():
    history = MemoryHistory(size=5, ttl=60, max_events=1000)
    first = history.append_now(["private-a", "presence-b", "public"], "e", "{}")
    second = history.append_now(["private-a"], "e", "{}")
    assert set(first) == {"private-a", "presence-b"} and first["private-a"].position == 1
    assert second["private-a"] == Position(first["private-a"].epoch, 2)
    assert history.append_now(["presence-b"], "presence:joining", "{}") == {}  # membership notices are not kept
    only = history.append_now(["private-a", "presence-b"], "e", "{}", only={"presence-b"})
    assert set(only) == {"presence-b"}  # positions are made only where wanted; the event is recorded anyway
    assert (await history.current("private-a")).position == 3


async def test_since_covers_what_is_kept_and_nothing_else():
    clock = Clock()
    history = MemoryHistory(size=5, ttl=60, max_events=1000, clock=clock)
    start = await history.current("private-a")
    assert start.position == 0
    for n in range(3):
        history.append_now(["private-a"], "e", f'{{"n":{n}}}')
    missed = await history.since("private-a", start)
    assert missed.covered and [e.payload for e in missed.entries] == ['{"n":0}', '{"n":1}', '{"n":2}']
    assert (await history.since("private-a", Position(start.epoch, 3))).entries == []
    assert not (await history.since("private-a", Position("other", 1))).covered
    assert not (await history.since("private-a", Position(start.epoch, 9))).covered  # from the future
    for n in range(3, 10):
        history.append_now(["private-a"], "e", "{}")
    assert not (await history.since("private-a", Position(start.epoch, 2))).covered  # only the last 5 are kept
    assert (await history.since("private-a", Position(start.epoch, 5))).covered
    clock.now += 61
    expired = await history.since("private-a", Position(start.epoch, 9))
    assert not expired.covered and expired.current.epoch != start.epoch  # lost: a new epoch


async def test_memory_stays_bounded_whatever_the_number_of_channels():
    history = MemoryHistory(size=10, ttl=600, max_events=1000)
    for n in range(20_000):
        history.append_now([f"private-user.{n}", f"presence-thread.{n % 50}"], "e", "{}")
    assert history.events + history.channel_count <= 1000
    assert (await history.current("presence-thread.7")).position > 0  # busy channels stay, quiet ones go first
