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

from messenger_gateway.core import node_liveness
from messenger_gateway.core.clock import Clock, SystemClock
from messenger_gateway.core.tasks import PeriodicTask
from messenger_gateway.gateway.registry import LocalState, Member, user_key

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
        # called when Redis is reachable again after an outage, or came back without this node's facts: each
        # callback re-asserts what this node knows (its sockets, members, presence inputs)
        self.on_rejoined: list[Callable[[], Awaitable[None]]] = []
        self._beaten = False  # a beat has succeeded since this node started
        self._lost = False  # a beat failed since the last one that succeeded
        self._reap_after = 0.0  # after an outage, every node's liveness looks expired until it beats again

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
        count = await self._join(
            keys=[self._socks(channel), self._users(channel), self._node_socks(self.node_id)],
            args=[sid, self._record(member), user_key(member.user_id), f"{channel}\n{sid}"],
        )
        return int(count) == 1

    @staticmethod
    def _record(member: Member) -> bytes:
        return orjson.dumps({"k": user_key(member.user_id), "user_id": member.user_id, "user_info": member.user_info})

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
        """Say this node is alive, then reap nodes that stopped saying so. After an outage of Redis (or when Redis
        came back empty), re-assert this node's facts first, and reap nobody for one node timeout: the other nodes
        were cut off too, and need a beat to show they are alive."""
        now = self.clock.time()
        try:
            added = await node_liveness.beat(self.redis, self.prefix, self.node_id, now + self.timeout_seconds)
        except Exception:
            self._lost = self._lost or self._beaten
            raise
        if self._lost or (added and self._beaten):
            log.info("Redis is back%s: re-registering this node's sockets and members",
                     "" if self._lost else " without this node's facts")
            self._reap_after = now + self.timeout_seconds
            for callback in self.on_rejoined:
                await callback()
        self._lost, self._beaten = False, True
        if now < self._reap_after:
            return
        for node in await node_liveness.expired(self.redis, self.prefix, now):
            if node != self.node_id and await node_liveness.claim_gone(self.redis, self.prefix, node):
                await self.reap(node)

    async def resync(self, local: LocalState) -> list[tuple[str, Member]]:
        wanted = {f"{channel}\n{sid}": (channel, sid, member) for channel, sid, member in local.presence}
        stored = {raw.decode() if isinstance(raw, bytes) else raw
                  for raw in await self.redis.smembers(self._node_socks(self.node_id))}
        left = []
        for entry in stored - wanted.keys():  # sockets that left while Redis could not be told
            channel, _, sid = entry.partition("\n")
            member = await self.leave_presence(channel, sid)
            if member is not None:
                left.append((channel, member))
        entries = list(wanted.values())
        for start in range(0, len(entries), 500):  # idempotent joins (HSETNX), pipelined
            pipe = self.redis.pipeline(transaction=False)
            for channel, sid, member in entries[start:start + 500]:
                await self._join(keys=[self._socks(channel), self._users(channel), self._node_socks(self.node_id)],
                                 args=[sid, self._record(member), user_key(member.user_id), f"{channel}\n{sid}"],
                                 client=pipe)
            await pipe.execute()
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self._node_rooms(self.node_id))
        if local.rooms:
            pipe.hset(self._node_rooms(self.node_id), mapping=local.rooms)  # type: ignore[arg-type]
        pipe.hset(self._node_conns, self.node_id, local.connections)
        await pipe.execute()
        return left

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
