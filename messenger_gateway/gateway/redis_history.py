"""The channel history in Redis, so every node answers the same: per channel a stream of its recent events (ids
`{position}-0`, trimmed to about `size`) and a hash with its epoch and last position, both expiring `ttl` seconds
after the channel's last event. One script call records an event on all its channels.

An epoch a client sees is `{generation}.{channel epoch}`. The generation changes when a node could not record an
event (Redis was away): those events are in no history, so no position from before may be trusted as complete.
Redis restarting empty loses the channel epochs, which changes them too.
"""
from __future__ import annotations

import secrets
import time
from typing import Any, Callable, Container

from redis.asyncio import Redis
from redis.exceptions import RedisError

from messenger_gateway.gateway.history import Entry, Missed, Position, recorded

APPEND = """
if ARGV[6] == '1' then redis.call('INCR', KEYS[1]) end
local out = {redis.call('GET', KEYS[1]) or '0'}
local ttl = tonumber(ARGV[2])
for i = 2, #KEYS, 2 do
  local meta, stream = KEYS[i], KEYS[i + 1]
  local epoch = redis.call('HGET', meta, 'e')
  if not epoch then
    epoch = ARGV[5] .. (i / 2)
    redis.call('HSET', meta, 'e', epoch)
  end
  local position = redis.call('HINCRBY', meta, 's', 1)
  redis.call('XADD', stream, 'MAXLEN', '~', ARGV[1], position .. '-0', 'n', ARGV[3], 'v', ARGV[4], 't', ARGV[7])
  redis.call('EXPIRE', meta, ttl)
  redis.call('EXPIRE', stream, ttl)
  out[#out + 1] = epoch
  out[#out + 1] = position
end
return out
"""

# KEYS: generation, meta, stream. ARGV: the position to read after (-1: none), a new epoch, ttl, max entries.
READ = """
local generation = redis.call('GET', KEYS[1]) or '0'
if redis.call('HSETNX', KEYS[2], 'e', ARGV[2]) == 1 then
  redis.call('HSET', KEYS[2], 's', 0)
  redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
end
local meta = redis.call('HMGET', KEYS[2], 'e', 's')
local entries = {}
if tonumber(ARGV[1]) >= 0 and tonumber(ARGV[1]) < tonumber(meta[2]) then
  entries = redis.call('XRANGE', KEYS[3], (tonumber(ARGV[1]) + 1) .. '-0', '+', 'COUNT', ARGV[4])
end
return {generation, meta[1], meta[2], entries}
"""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class RedisHistory:
    def __init__(self, redis: Redis, prefix: str, size: int, ttl: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.redis, self.size, self.ttl = redis, size, max(1, int(ttl))
        self._generation = f"{prefix}history:generation"
        self._prefix = f"{prefix}history:"
        self._append = redis.register_script(APPEND)
        self._read = redis.register_script(READ)
        self._clock = clock
        self._lost = False  # an event could not be recorded: the next call changes the generation
        self.failures = 0

    def _keys(self, channel: str) -> list[str]:
        return [f"{self._prefix}m:{channel}", f"{self._prefix}s:{channel}"]

    async def append(self, channels: list[str], event: str, payload: str,
                     only: Container[str] | None = None) -> dict[str, Position]:
        """Every position (`only` does not apply: sockets on other nodes may want any of them)."""
        kept = [c for c in channels if recorded(c, event)]
        if not kept:
            return {}
        keys = [self._generation] + [key for channel in kept for key in self._keys(channel)]
        lost, self._lost = self._lost, False
        try:
            reply = await self._append(keys=keys, args=[
                self.size, self.ttl, event, payload, secrets.token_hex(5), "1" if lost else "0",
                f"{self._clock():.3f}"])
        except (RedisError, ConnectionError, OSError):
            self.skipped()
            return {}
        generation = _text(reply[0])
        return {channel: Position(f"{generation}.{_text(reply[1 + 2 * i])}", int(reply[2 + 2 * i]))
                for i, channel in enumerate(kept)}

    def skipped(self) -> None:
        self._lost = True
        self.failures += 1

    async def since(self, channel: str, since: Position) -> Missed:
        current, entries = await self._read_after(channel, since.position)
        if since.epoch != current.epoch or since.position > current.position:
            return Missed(False, [], current)
        if since.position == current.position:
            return Missed(True, [], current)
        oldest = self._clock() - self.ttl
        kept = [e for e in entries if e.at >= oldest]
        covered = bool(kept) and kept[0].position == since.position + 1 and kept[-1].position == current.position
        return Missed(covered, kept if covered else [], current)

    async def current(self, channel: str) -> Position:
        return (await self._read_after(channel, -1))[0]

    async def _read_after(self, channel: str, position: int) -> tuple[Position, list[Entry]]:
        if self._lost:
            await self.redis.incr(self._generation)
            self._lost = False
        generation, epoch, last, raw = await self._read(
            keys=[self._generation, *self._keys(channel)],
            args=[position, secrets.token_hex(5) + "0", self.ttl, self.size + 1])
        entries = []
        for entry_id, fields in raw:
            values = dict(zip(map(_text, fields[::2]), fields[1::2]))
            entries.append(Entry(int(_text(entry_id).split("-")[0]), _text(values["n"]), _text(values["v"]),
                                 float(_text(values["t"]))))
        return Position(f"{_text(generation)}.{_text(epoch)}", int(last)), entries
