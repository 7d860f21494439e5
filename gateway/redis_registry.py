"""The channel registry in Redis: presence members and room counts shared by every node.

Each membership change is one Lua script, so concurrent joins and leaves on several nodes never lose an
update (no read-modify-write of a member list). Every node refreshes its entry in a sorted set of node
expiries; a node that stops doing so is claimed by exactly one survivor (ZREM returns 1 to one caller),
which removes the dead node's sockets and reports the users who thereby left.
"""
from __future__ import annotations

import logging
from typing import Awaitable, Callable

import orjson
from redis.asyncio import Redis

from core import node_liveness
from core.clock import Clock, SystemClock
from core.tasks import PeriodicTask
from gateway.registry import Member, user_key

log = logging.getLogger("messenger.gateway")

JOIN = """
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('SADD', KEYS[3], ARGV[4])
return redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
"""

LEAVE = """
redis.call('SREM', KEYS[3], ARGV[2])
local rec = redis.call('HGET', KEYS[1], ARGV[1])
if not rec then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
local ukey = cjson.decode(rec)['k']
local n = redis.call('HINCRBY', KEYS[2], ukey, -1)
if n <= 0 then
  redis.call('HDEL', KEYS[2], ukey)
  return rec
end
return false
"""

MemberLeft = Callable[[str, Member], Awaitable[None]]


class RedisRegistry:
    def __init__(
        self, redis: Redis, node_id: str, *, heartbeat_seconds: float, timeout_seconds: float,
        on_member_left: MemberLeft | None = None, prefix: str = "mg:", clock: Clock | None = None,
    ) -> None:
        self.clock = clock or SystemClock()
        self.redis = redis
        self.node_id = node_id
        self.heartbeat_seconds = heartbeat_seconds
        self.timeout_seconds = timeout_seconds
        self.on_member_left = on_member_left
        self.prefix = prefix
        self._join = redis.register_script(JOIN)
        self._leave = redis.register_script(LEAVE)
        self._task = PeriodicTask("presence-node-heartbeat", heartbeat_seconds, self.beat)
        # called with the id of every node this one reaped (e.g. so presence stops counting its sockets)
        self.on_node_gone: list[Callable[[str], Awaitable[None]]] = []

    # -- keys ----------------------------------------------------------------------------------------
    def _socks(self, channel: str) -> str:
        return f"{self.prefix}pc:{channel}:socks"

    def _users(self, channel: str) -> str:
        return f"{self.prefix}pc:{channel}:users"

    def _node_socks(self, node: str) -> str:
        return f"{self.prefix}node:{node}:socks"

    def _node_rooms(self, node: str) -> str:
        return f"{self.prefix}node:{node}:rooms"

    # -- presence members ----------------------------------------------------------------------------
    async def join_presence(self, channel: str, sid: str, member: Member) -> bool:
        key = user_key(member.user_id)
        record = orjson.dumps({"k": key, "user_id": member.user_id, "user_info": member.user_info})
        count = await self._join(
            keys=[self._socks(channel), self._users(channel), self._node_socks(self.node_id)],
            args=[sid, record, key, f"{channel}\n{sid}"],
        )
        return int(count) == 1

    async def leave_presence(self, channel: str, sid: str) -> Member | None:
        return await self._leave_on(self.node_id, channel, sid)

    async def _leave_on(self, node: str, channel: str, sid: str) -> Member | None:
        record = await self._leave(
            keys=[self._socks(channel), self._users(channel), self._node_socks(node)],
            args=[sid, f"{channel}\n{sid}"],
        )
        if not record:
            return None
        data = orjson.loads(record)
        return Member(data["user_id"], data["user_info"])

    async def members(self, channel: str) -> list[Member]:
        by_user: dict[str, Member] = {}
        for raw in await self.redis.hvals(self._socks(channel)):
            data = orjson.loads(raw)
            by_user[data["k"]] = Member(data["user_id"], data["user_info"])
        return list(by_user.values())

    # -- room counts ---------------------------------------------------------------------------------
    async def room_joined(self, channel: str) -> None:
        await self.redis.hincrby(self._node_rooms(self.node_id), channel, 1)

    async def room_left(self, channel: str) -> None:
        key = self._node_rooms(self.node_id)
        if await self.redis.hincrby(key, channel, -1) <= 0:
            await self.redis.hdel(key, channel)

    async def room_counts(self, prefix: str = "") -> dict[str, int]:
        nodes = await node_liveness.live(self.redis, self.prefix)
        pipe = self.redis.pipeline(transaction=False)
        for node in nodes:
            pipe.hgetall(self._node_rooms(node))
        totals: dict[str, int] = {}
        for rooms in await pipe.execute():
            for name, count in rooms.items():
                channel = name.decode() if isinstance(name, bytes) else name
                if channel.startswith(prefix) and int(count) > 0:
                    totals[channel] = totals.get(channel, 0) + int(count)
        return totals

    async def connections_changed(self, delta: int) -> None:
        await self.redis.hincrby(self._node_conns, self.node_id, delta)

    async def connection_count(self) -> int:
        nodes = await node_liveness.live(self.redis, self.prefix)
        counts = await self.redis.hgetall(self._node_conns)
        return sum(int(c) for n, c in counts.items() if (n.decode() if isinstance(n, bytes) else n) in nodes)

    @property
    def _node_conns(self) -> str:
        return f"{self.prefix}conns"

    # -- node liveness -------------------------------------------------------------------------------
    async def beat(self) -> None:
        """Say this node is alive, then reap nodes that stopped saying so."""
        now = self.clock.time()
        await node_liveness.beat(self.redis, self.prefix, self.node_id, now + self.timeout_seconds)
        for node in await node_liveness.expired(self.redis, self.prefix, now):
            if node != self.node_id and await node_liveness.claim_gone(self.redis, self.prefix, node):
                await self.reap(node)

    async def reap(self, node: str) -> int:
        """Remove every socket of `node`; report users that thereby left a presence channel."""
        entries = await self.redis.smembers(self._node_socks(node))
        left = 0
        for raw in entries:
            entry = raw.decode() if isinstance(raw, bytes) else raw
            channel, _, sid = entry.partition("\n")
            member = await self._leave_on(node, channel, sid)
            if member is not None:
                left += 1
                if self.on_member_left is not None:
                    await self.on_member_left(channel, member)
        await self.redis.delete(self._node_socks(node), self._node_rooms(node))
        await self.redis.hdel(self._node_conns, node)
        if node != self.node_id:
            for callback in self.on_node_gone:
                await callback(node)
        if entries:
            log.info("removed %d presence sockets of node %s (%d users left)", len(entries), node, left)
        return left

    def start(self) -> None:
        self._task.start()

    async def stop(self) -> None:
        await self._task.stop()
        try:
            await node_liveness.claim_gone(self.redis, self.prefix, self.node_id)
            await self.reap(self.node_id)
        except Exception:
            log.exception("could not remove this node's presence members at shutdown")
