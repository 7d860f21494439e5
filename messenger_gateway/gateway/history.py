"""The recent events of every private and presence channel, with positions, so a client that was away can be sent
what it missed.

Every event published on a guarded channel (not the `presence:*` bookkeeping, which a subscriber gets afresh)
gets the next position of its channel. A channel's history keeps its last `size` events for `ttl` seconds; its
`epoch` changes whenever its history is lost (evicted, expired, the node or Redis restarted), so a position is only
ever compared with positions of the same epoch. In memory (one node) all channels together hold at most
`max_events` events (a channel counting as one more): past that the channels written least recently are dropped
whole.
"""
from __future__ import annotations

import math
import secrets
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Callable, Container, NamedTuple, Protocol

GUARDED = ("private-", "presence-")  # the channels with a history: the guarded kinds of gateway/channels.py
SWEEP_EVERY = 4096  # appends between two looks for expired channels (each look visits every channel)


class Position(NamedTuple):  # tuples: one is made per channel of every publish, and a frozen dataclass costs more
    epoch: str
    position: int

    def wire(self) -> dict[str, object]:
        return {"epoch": self.epoch, "position": self.position}


class Entry(NamedTuple):
    position: int
    event: str
    payload: str  # the event's data as JSON, as it was delivered
    at: float


@dataclass(frozen=True, slots=True)
class Missed:
    """What a client that last saw `since` missed: the entries after it, or `covered` False when the history no
    longer reaches back that far (or the epoch changed); `current` is where the channel is now."""
    covered: bool
    entries: list[Entry]
    current: Position


def recorded(channel: str, event: str) -> bool:
    """Whether an event on `channel` goes into the history."""
    return channel.startswith(GUARDED) and not event.startswith("presence:")


class History(Protocol):
    failures: int  # events it could not record (for /metrics)

    async def append(self, channels: list[str], event: str, payload: str,
                     only: Container[str] | None = None) -> dict[str, Position]:
        """Record the event on each recorded channel; their new positions (of those in `only`, when given; empty
        when the history is away)."""
        ...

    async def since(self, channel: str, since: Position) -> Missed: ...

    async def current(self, channel: str) -> Position: ...

    def skipped(self) -> None:
        """An event could not be recorded (Redis is away): positions from before it are no longer complete."""
        ...


class _Channel:
    __slots__ = ("epoch", "last", "at", "entries")

    def __init__(self, size: int) -> None:
        self.epoch = secrets.token_hex(6)
        self.last = 0
        self.at = math.inf  # when its last event was recorded (none yet: it does not expire)
        self.entries: deque[tuple[int, tuple[str, str, float]]] = deque(maxlen=size)


class MemoryHistory:
    """The history of one node, bounded by `size` per channel, `ttl` seconds and `max_events` in all."""

    def __init__(self, size: int, ttl: float, max_events: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.size, self.ttl, self.max_events = size, ttl, max_events
        self._clock = clock
        self._channels: OrderedDict[str, _Channel] = OrderedDict()  # least recently written first
        self._events = 0  # entries held over all channels
        self._appends = 0
        self.failures = 0  # never: nothing stands between this node and its memory

    @property
    def events(self) -> int:
        return self._events

    @property
    def channel_count(self) -> int:
        return len(self._channels)

    async def append(self, channels: list[str], event: str, payload: str,
                     only: Container[str] | None = None) -> dict[str, Position]:
        return self.append_now(channels, event, payload, only)

    def skipped(self) -> None:
        """Never: nothing stands between this node and its memory."""

    def append_now(self, channels: list[str], event: str, payload: str,
                   only: Container[str] | None = None) -> dict[str, Position]:
        """Record the event; the positions of the channels in `only` (all when None): on one node they are needed
        only where a socket asked for them, and the history is on every message's path."""
        if event.startswith("presence:"):
            return {}
        self._appends += 1
        if self._appends % SWEEP_EVERY == 0:
            self.sweep()
        now = self._clock()
        shared = (event, payload, now)  # one per publish; each channel keeps (its position, shared)
        expired = now - self.ttl
        positions: dict[str, Position] = {}
        held = self._channels
        size = self.size
        for channel in channels:
            if not channel.startswith(GUARDED):
                continue
            record = held.get(channel)
            if record is None or record.at < expired:
                if record is not None:  # all of it expired: a fresh history, a new epoch
                    self._events -= len(record.entries)
                record = held[channel] = _Channel(size)
            else:
                held.move_to_end(channel)
            record.last += 1
            record.at = now
            entries = record.entries
            if len(entries) == size:
                self._events -= 1
            entries.append((record.last, shared))
            self._events += 1
            if only is None or channel in only:
                positions[channel] = Position(record.epoch, record.last)
        self._bound()
        return positions

    def _bound(self) -> None:
        held = self._channels
        while self._events + len(held) > self.max_events and held:
            _, dropped = held.popitem(last=False)
            self._events -= len(dropped.entries)

    async def since(self, channel: str, since: Position) -> Missed:
        record = self._live(channel)
        if record is None:
            return Missed(False, [], await self.current(channel))
        current = Position(record.epoch, record.last)
        if since.epoch != record.epoch or since.position > record.last:
            return Missed(False, [], current)
        if since.position == record.last:
            return Missed(True, [], current)
        oldest = self._clock() - self.ttl
        kept = [Entry(position, *shared) for position, shared in record.entries
                if position > since.position and shared[2] >= oldest]
        covered = bool(kept) and kept[0].position == since.position + 1
        return Missed(covered, kept if covered else [], current)

    async def current(self, channel: str) -> Position:
        record = self._live(channel)
        if record is None:  # nothing yet: the epoch its first event will have, position 0
            record = self._channels[channel] = _Channel(self.size)
            self._bound()
        return Position(record.epoch, record.last)

    def _live(self, channel: str) -> _Channel | None:
        record = self._channels.get(channel)
        if record is not None and self._clock() - record.at > self.ttl:
            self._events -= len(record.entries)
            del self._channels[channel]
            return None
        return record

    def sweep(self) -> None:
        """Drop the channels whose newest event has expired (run every few seconds)."""
        oldest = self._clock() - self.ttl
        for channel in [c for c, r in self._channels.items() if r.at < oldest]:
            self._events -= len(self._channels.pop(channel).entries)
