"""Presence facts in Redis, shared by every node.

Each input is one Lua script that updates the user's facts and re-evaluates the visible status atomically,
so exactly one caller learns of each change (and pushes it), whichever node it runs on. Users whose status
may change by itself sit in a sorted set of due times; a sweeping node claims each due user with ZREM, so
an expiry is settled (and pushed) once. Socket counts are kept per node and only live nodes count.
"""
from __future__ import annotations

from typing import Iterable

from redis.asyncio import Redis

from messenger_gateway.core import node_liveness
from messenger_gateway.presence.state import StatusChange, UserPresence

MUTATE = """
local pid, now, op = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local st = KEYS[1]
if op == 'sync' and tonumber(ARGV[6]) == 0 and redis.call('EXISTS', st) == 0 then
  redis.call('SREM', KEYS[5], pid)
  return {0, 0, ''}
end
if op == 'hb' or op == 'set' or op == 'open' then
  redis.call('HSET', st, 'alias', ARGV[4], 'setting', ARGV[5])
elseif op == 'sync' or op == 'rehb' then
  redis.call('HSETNX', st, 'alias', ARGV[4])
  redis.call('HSETNX', st, 'setting', ARGV[5])
end
if op == 'rehb' then
  if tonumber(redis.call('HGET', st, 'hbx') or '0') < now + tonumber(ARGV[7]) then
    redis.call('HSET', st, 'hb', ARGV[6], 'hbx', now + tonumber(ARGV[7]))
  end
elseif op == 'sync' then
  if tonumber(ARGV[6]) > 0 then
    redis.call('HSET', KEYS[2], ARGV[8], ARGV[6])
    redis.call('SADD', KEYS[5], pid)
  else
    redis.call('HDEL', KEYS[2], ARGV[8])
    redis.call('SREM', KEYS[5], pid)
  end
elseif op == 'hb' then
  if ARGV[6] ~= '' then redis.call('HSET', st, 'hb', ARGV[6], 'hbx', now + tonumber(ARGV[7])) end
elseif op == 'set' then
  local setting = tonumber(ARGV[5])
  if setting == 0 then redis.call('HSET', st, 'hb', 0, 'hbx', 0)
  else redis.call('HSET', st, 'hb', (setting == 2) and 2 or 1, 'hbx', now + tonumber(ARGV[6])) end
elseif op == 'open' then
  redis.call('HINCRBY', KEYS[2], ARGV[8], 1)
  redis.call('SADD', KEYS[5], pid)
elseif op == 'close' then
  if redis.call('HINCRBY', KEYS[2], ARGV[8], -1) <= 0 then
    redis.call('HDEL', KEYS[2], ARGV[8])
    redis.call('SREM', KEYS[5], pid)
  end
elseif op == 'gone' then
  redis.call('HDEL', KEYS[2], ARGV[8])
  redis.call('SREM', KEYS[5], pid)
end
local sockets = 0
local counts = redis.call('HGETALL', KEYS[2])
for i = 1, #counts, 2 do
  local alive = redis.call('ZSCORE', KEYS[4], counts[i])
  if alive and tonumber(alive) > now then sockets = sockets + tonumber(counts[i + 1]) end
end
if (op == 'close' or op == 'gone') and sockets == 0 then
  redis.call('HSET', st, 'gx', now + tonumber(ARGV[6]))
elseif op == 'sync' and sockets == 0 and tonumber(ARGV[6]) == 0 then
  redis.call('HSET', st, 'gx', now + tonumber(ARGV[7]))
end
local h = redis.call('HMGET', st, 'alias', 'setting', 'hb', 'hbx', 'gx', 'vis')
local setting = tonumber(h[2] or '1')
local hb = tonumber(h[3] or '0')
local hbx = tonumber(h[4] or '0')
local gx = tonumber(h[5] or '0')
local before = tonumber(h[6] or '0')
local after = 0
if setting == 0 then after = 0
elseif hbx > now then after = hb
elseif sockets > 0 or gx > now then after = (setting == 2) and 2 or 1
end
local due = nil
if hbx > now then due = hbx end
if sockets == 0 and gx > now and (due == nil or gx < due) then due = gx end
if due then redis.call('ZADD', KEYS[3], due, pid) else redis.call('ZREM', KEYS[3], pid) end
if after == 0 and sockets == 0 and due == nil and redis.call('HLEN', KEYS[2]) == 0 then
  redis.call('DEL', st)
else
  redis.call('HSET', st, 'vis', after)
end
return {before, after, h[1] or ''}
"""


def _s(value: object) -> str:
    """A Redis reply as text (redis-py's stubs type some replies more widely than the commands we send return)."""
    if isinstance(value, bytes):
        return value.decode()
    return value if isinstance(value, str) else ""


class RedisPresenceBackend:
    def __init__(self, redis: Redis, node_id: str, prefix: str = "mg:") -> None:
        self.redis = redis
        self.node_id = node_id
        self.prefix = prefix
        self._mutate = redis.register_script(MUTATE)

    def _keys(self, pid: str, node: str) -> list[str]:
        p = self.prefix
        return [f"{p}ps:u:{pid}", f"{p}ps:s:{pid}", f"{p}ps:due", node_liveness.nodes_key(p), f"{p}ps:n:{node}"]

    async def _run(
        self, pid: str, now: float, op: str, alias: str = "", setting: int = 1, a1: object = "", a2: object = "",
        node: str | None = None,
    ) -> StatusChange | None:
        node = node or self.node_id
        before, after, stored_alias = await self._mutate(
            keys=self._keys(pid, node), args=[pid, repr(now), op, alias, setting, str(a1), str(a2), node],
        )
        before, after = int(before), int(after)
        if before == after:
            return None
        return StatusChange(pid, alias or _s(stored_alias), before, after)

    async def heartbeat(self, pid: str, alias: str, setting: int, status: int | None, ttl: float, now: float) -> StatusChange | None:
        return await self._run(pid, now, "hb", alias, setting, "" if status is None else status, ttl)

    async def apply_setting(self, pid: str, alias: str, setting: int, ttl: float, now: float) -> StatusChange | None:
        return await self._run(pid, now, "set", alias, setting, ttl)

    async def socket_opened(self, pid: str, alias: str, setting: int, now: float) -> StatusChange | None:
        return await self._run(pid, now, "open", alias, setting)

    async def socket_closed(self, pid: str, grace: float, now: float) -> StatusChange | None:
        return await self._run(pid, now, "close", a1=grace)

    async def node_gone(self, node: str, grace: float, now: float) -> list[StatusChange]:
        """A dead node's sockets no longer count: its users get the grace period, then turn OFFLINE."""
        changes = []
        for raw in await self.redis.smembers(f"{self.prefix}ps:n:{node}"):
            change = await self._run(_s(raw), now, "gone", a1=grace, node=node)
            if change is not None:
                changes.append(change)
        await self.redis.delete(f"{self.prefix}ps:n:{node}")
        return changes

    async def resync_node(
        self, sockets: dict[str, tuple[str, int, int]], beats: dict[str, tuple[str, int, int, float]],
        grace: float, now: float,
    ) -> list[StatusChange]:
        """Make this node's facts in Redis what it knows (after an outage, or Redis came back empty): its open
        sockets per user (users whose sockets closed meanwhile get the grace period), and the heartbeats it took
        that are still running (unless Redis holds a later one)."""
        stored = {_s(raw) for raw in await self.redis.smembers(f"{self.prefix}ps:n:{self.node_id}")}
        # heartbeats first: a user whose AWAY heartbeat runs must not flash ONLINE when their socket counts again
        calls: list[tuple[str, str, str, int, object, object]] = [
            (pid, "rehb", alias, setting, status, expires - now)
            for pid, (alias, setting, status, expires) in beats.items() if expires > now]
        calls += [(pid, "sync", "", 1, 0, grace) for pid in stored - sockets.keys()]
        calls += [(pid, "sync", alias, setting, count, grace) for pid, (alias, setting, count) in sockets.items()]
        changes: list[StatusChange] = []
        for start in range(0, len(calls), 500):
            chunk = calls[start:start + 500]
            pipe = self.redis.pipeline(transaction=False)
            for pid, op, alias, setting, a1, a2 in chunk:
                await self._mutate(keys=self._keys(pid, self.node_id),
                                   args=[pid, repr(now), op, alias, setting, str(a1), str(a2), self.node_id],
                                   client=pipe)
            for (pid, _, alias, _, _, _), (before, after, stored_alias) in zip(chunk, await pipe.execute()):
                if int(before) != int(after):
                    changes.append(StatusChange(pid, alias or _s(stored_alias), int(before), int(after)))
        return changes

    async def sockets_of(self, pid: str, now: float) -> int:
        live = await node_liveness.live(self.redis, self.prefix, now)
        counts = await self.redis.hgetall(f"{self.prefix}ps:s:{pid}")
        return sum(int(c) for n, c in counts.items() if _s(n) in live)

    async def sweep(self, now: float) -> list[StatusChange]:
        changes: list[StatusChange] = []
        if await node_liveness.any_expired(self.redis, self.prefix, now):
            # Some node has not beaten in time: a dead one about to be reaped (its users get the grace period
            # then), or every node just after an outage of Redis. Settling now could count live sockets as gone
            # and push a false OFFLINE; a beat or a reap settles it within seconds.
            return changes
        due_key = f"{self.prefix}ps:due"
        for raw in await self.redis.zrangebyscore(due_key, "-inf", now, start=0, num=1000):
            pid = _s(raw)
            if await self.redis.zrem(due_key, pid) != 1:
                continue  # another node claimed it
            change = await self._run(pid, now, "eval")
            if change is not None:
                changes.append(change)
        return changes

    async def statuses(self, pids: Iterable[str], now: float) -> dict[str, int]:
        ids = list(pids)
        if not ids:
            return {}
        live = await node_liveness.live(self.redis, self.prefix, now)
        pipe = self.redis.pipeline(transaction=False)
        for pid in ids:
            pipe.hmget(f"{self.prefix}ps:u:{pid}", "setting", "hb", "hbx", "gx")
            pipe.hgetall(f"{self.prefix}ps:s:{pid}")
        replies = await pipe.execute()
        result = {}
        for i, pid in enumerate(ids):
            setting, hb, hbx, gx = replies[2 * i]
            counts = replies[2 * i + 1]
            state = UserPresence(
                alias="", setting=int(setting or 1), heartbeat_status=int(hb or 0),
                heartbeat_expires=float(hbx or 0), grace_expires=float(gx or 0),
                sockets=sum(int(c) for n, c in counts.items() if _s(n) in live),
            )
            result[pid] = state.evaluate(now)
        return result
