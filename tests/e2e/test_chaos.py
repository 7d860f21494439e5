"""Chaos: three nodes behind the deploy kit's nginx, on a PostgreSQL and a Redis of the test's own, with a group
conversation running through the load balancer (python-socketio clients from several source addresses, so nginx's
ip_hash spreads them over the nodes, and one laravel-echo client). One after another: SIGKILL a node, SIGTERM a
node, kill Redis for 15 s and restart it empty, stop PostgreSQL for 15 s. After each the test checks what a user
would see, and at the end prints the timings.

What "delivered exactly once" means here: a socket that stayed connected gets every message answered 201 exactly
once (through a Redis outage too, from the outbox); a socket whose node died misses what was sent while it was
reconnecting (missed-event recovery is another issue) but never gets anything twice, and gets everything sent once
it is back. Every message answered 201 is stored exactly once; no request answers 500.
"""
from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
import socketio

from messenger_gateway.app.factory import build_services
from messenger_gateway.core.clock import SystemClock
from tests.conftest import make_config
from tests.e2e.test_nginx_kit import KIT, nginx_binary, proxy_answers, render
from tests.support.factories import make_thread
from tests.support.nodes import free_port, spawn_node
from tests.support.postgres_server import OwnPostgres
from tests.support.redis_server import OwnRedis

pytestmark = pytest.mark.timeout(600)

KEY = {"Authorization": "Bearer key-one"}
SOURCES = [f"127.0.{n}.1" for n in range(1, 10)]  # ip_hash keys on the first three octets


@dataclass
class Node:
    port: int
    proc: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class Member:
    """One person: an HTTP session and a python-socketio client from their own source address, through nginx."""
    name: str
    source: str
    public: str
    thread_channel: str
    reconnect: bool = True
    user: dict[str, Any] = field(default_factory=dict)
    got: list[str] = field(default_factory=list)  # ids of new.message events, in arrival order
    seen: list[tuple[float, str, Any]] = field(default_factory=list)  # (time, event, args)
    connects: list[float] = field(default_factory=list)  # when each (re)connect happened

    async def open(self) -> None:
        self.http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(local_addr=(self.source, 0)))
        self.sio = socketio.AsyncClient(reconnection=self.reconnect, reconnection_delay=0.1,
                                        reconnection_delay_max=0.5, randomization_factor=0, http_session=self.http)
        self.sio.on("connect", self._subscribe)
        self.sio.on("*", self._record)

    async def register(self) -> None:
        async with self.http.post(f"{self.public}/api/auth/register", json={
                "name": self.name, "email": f"{self.name.lower()}-{uuid.uuid4().hex[:6]}@example.com",
                "password": "password123"}) as reply:
            assert reply.status == 201, await reply.text()
            body = await reply.json()
        self.user = {"id": body["provider"]["provider_id"], "token": body["token"]}

    async def connect(self) -> None:
        await self.sio.connect(self.public, auth={"headers": {"Authorization": f"Bearer {self.user['token']}"}},
                               transports=["websocket"], socketio_path="socket.io", wait_timeout=10)

    async def _subscribe(self) -> None:
        self.connects.append(time.monotonic())
        auth = {"headers": {"Authorization": f"Bearer {self.user['token']}"}}
        for channel in (f"private-messenger.user.{self.user['id']}", self.thread_channel):
            await self.sio.emit("subscribe", {"channel": channel, "auth": auth})

    async def _record(self, event: str, *args: Any) -> None:
        self.seen.append((time.monotonic(), event, args))
        if event == "new.message" and args and args[0].startswith("private-"):
            self.got.append(args[1]["id"])

    async def send(self, thread: str, body: str) -> tuple[int, str | None]:
        try:
            async with self.http.post(f"{self.public}/api/messenger/threads/{thread}/messages",
                                      headers={"Authorization": f"Bearer {self.user['token']}"},
                                      json={"message": body, "temporary_id": uuid.uuid4().hex}) as reply:
                data = await reply.json(content_type=None)
                return reply.status, data.get("id") if reply.status == 201 else None
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return 0, None  # no answer (the node died with the request)

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()
        await self.http.close()


class EchoMember:
    """A laravel-echo + socket.io-client 4 client (tests/e2e/echo_client.mjs), through nginx."""

    def __init__(self, script: Path, public: str, user: dict[str, Any], thread_channel: str) -> None:
        self.script, self.public, self.user, self.thread_channel = script, public, user, thread_channel
        self.got: list[str] = []
        self.lines: list[dict[str, Any]] = []

    async def start(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            shutil.which("node") or "node", str(self.script), self.public, self.user["token"], self.user["id"],
            self.thread_channel, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL)
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.proc.stdout is not None
        while raw := await self.proc.stdout.readline():
            line = orjson.loads(raw)
            line["at"] = time.monotonic()
            self.lines.append(line)
            if line["type"] == "new.message":
                self.got.append(line["data"]["id"])

    @property
    def connects(self) -> list[float]:
        return [line["at"] for line in self.lines if line["type"] == "connected"]

    def connected(self) -> bool:
        states = [line["type"] for line in self.lines if line["type"] in ("connected", "disconnected")]
        return bool(states) and states[-1] == "connected"

    async def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(b'{"cmd": "exit"}\n')
        try:
            await asyncio.wait_for(self.proc.wait(), 5)
        except asyncio.TimeoutError:
            self.proc.kill()
        self.reader.cancel()


class Cluster:
    def __init__(self, workdir: Path, pg: OwnPostgres, redis: OwnRedis) -> None:
        self.workdir = workdir
        self.settings = {
            "database_url": pg.url, "redis_url": redis.url,
            "server": {"trusted_proxies": ["127.0.0.1"], "shutdown_timeout_seconds": 5},
            "presence": {"offline_grace_seconds": 1, "sweep_interval_seconds": 0.2},
            "limits": {"register_per_minute": 100_000, "messages_per_minute": 100_000, "search_per_minute": 100_000},
            "gateway": {"redis_prefix": "chaos:", "clients": [{"app_id": "app1", "key": "key-one"}],
                        "node_heartbeat_seconds": 0.5, "node_timeout_seconds": 2.0},
        }
        self.nodes: list[Node] = []
        self.http = aiohttp.ClientSession()
        self.answers: list[int] = []  # every status any send got

    def start_node(self, port: int | None = None) -> Node:
        port = port or free_port()
        proc, log = spawn_node(self.settings, self.workdir, port)
        node = Node(port, proc, log)
        self.nodes.append(node)
        return node

    async def get(self, node: Node, path: str) -> tuple[int, Any]:
        try:
            async with self.http.get(f"{node.url}{path}", headers=KEY) as reply:
                return reply.status, await reply.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError):
            return 0, None

    async def wait_ready(self, node: Node, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while (await self.get(node, "/ready"))[0] != 200:
            assert node.proc.poll() is None, node.log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, f"node {node.port} never got ready"
            await asyncio.sleep(0.2)

    def live(self) -> list[Node]:
        return [n for n in self.nodes if n.proc.poll() is None]

    async def sockets_on(self, node: Node) -> float:
        try:
            async with self.http.get(f"{node.url}/metrics") as reply:
                text = await reply.text()
        except aiohttp.ClientError:
            return -1
        return next(float(line.split()[-1]) for line in text.splitlines()
                    if line.startswith("messenger_sockets_connected "))

    async def members_of(self, channel: str) -> set[str] | None:
        for node in self.live():
            status, body = await self.get(node, f"/apps/app1/channels/{channel}/users")
            if status == 200:
                return {str(u["id"]) for u in body["users"]}
        return None

    async def stop(self) -> None:
        for node in self.nodes:
            if node.proc.poll() is None:
                node.proc.kill()
                node.proc.wait(10)
        await self.http.close()


async def until(check: Any, timeout: float, what: str) -> float:
    """Seconds until `check()` is truthy (fails after `timeout`)."""
    started = time.monotonic()
    while not await check():
        assert time.monotonic() - started < timeout, f"not within {timeout} s: {what}"
        await asyncio.sleep(0.1)
    return time.monotonic() - started


@pytest.fixture
async def chaos(tmp_path, node_client):
    nginx = nginx_binary()
    pg, redis = OwnPostgres(), OwnRedis(tmp_path)
    pg.start()
    redis.start()
    cluster = Cluster(tmp_path, pg, redis)
    proxy = None
    try:
        for _ in range(3):  # together, on an empty database: the migration lock lets each come up
            cluster.start_node()
        for node in cluster.nodes:
            await cluster.wait_ready(node)
        port = free_port()
        conf = render(KIT.read_text(), [f"127.0.0.1:{n.port}" for n in cluster.nodes], port, tmp_path)
        proxy = subprocess.Popen([nginx, "-p", str(tmp_path), "-c", str(conf), "-g", "daemon off;"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        yield cluster, pg, redis, f"http://127.0.0.1:{port}", node_client
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait(10)
        await cluster.stop()
        redis.kill()
        pg.remove()


async def test_chaos(chaos, capsys):
    cluster, pg, redis, public, echo_script = chaos
    await proxy_answers(cluster.http, public, attempts=200)

    members = [Member(f"M{n}", source, public, "") for n, source in enumerate(SOURCES)]
    leaver = Member("Leaver", "127.0.20.1", public, "", reconnect=False)
    for person in [*members, leaver]:
        await person.open()
        await person.register()
    svc = build_services(make_config(cluster.workdir / "factory", database_url=cluster.settings["database_url"]),
                         SystemClock())
    people = [*members, leaver]
    thread = await make_thread(svc, [p.user["id"] for p in people], group=True, subject="Chaos")
    await svc.db.dispose()
    channel = f"presence-messenger.thread.{thread}"
    for person in people:
        person.thread_channel = channel
    for person in members:
        await person.connect()
    # the leaver connects last, alone, so the node that holds its socket is the one whose count grows
    before = await _counts(cluster)
    await leaver.connect()
    await until(lambda: _changed(cluster, before), 10, "the leaver's socket counted")
    victim = next(n for n, b, a in zip(cluster.nodes, before, await _counts(cluster)) if a > b)
    echo_user = members[0].user  # the same person also has a browser tab open
    echo = EchoMember(echo_script, public, echo_user, f"messenger.thread.{thread}")  # Echo adds "presence-"
    await echo.start()
    await until(lambda: _true(any(line["type"] == "here" for line in echo.lines)), 20, "laravel-echo joined")
    everyone = {p.user["id"] for p in people}
    await until(lambda: _equals(cluster.members_of(channel), everyone), 20, "every member in the presence channel")
    answered: dict[str, str] = {}  # message id -> body, for every 201
    timings: list[tuple[str, str, float]] = []

    async def talk(count: int, tag: str) -> list[str]:
        ids = []
        for n in range(count):
            sender = members[n % len(members)]
            status, message_id = await sender.send(thread, f"{tag} {n}")
            cluster.answers.append(status)
            assert status != 500
            if status == 201 and message_id:
                answered[message_id] = f"{tag} {n}"
                ids.append(message_id)
            await asyncio.sleep(0.02)
        return ids

    async def all_received(ids: list[str], who: list[Any], timeout: float = 20) -> float:
        async def done() -> bool:
            return all(set(ids) <= set(p.got) for p in who)
        try:
            took = await until(done, timeout, f"{len(ids)} messages reached {len(who)} sockets")
        except AssertionError:
            missing = {getattr(p, "name", "echo"): len(set(ids) - set(p.got)) for p in who}
            raise AssertionError(f"messages missing per socket: {missing}") from None
        for person in who:
            assert len(person.got) == len(set(person.got)), f"{getattr(person, 'name', 'echo')} got a duplicate"
        return took

    def sockets_and_echo() -> list[Any]:
        return [*members, echo]

    # a steady conversation first
    await all_received(await talk(18, "warm-up"), sockets_and_echo())

    # 1. SIGKILL the node that holds the leaver's socket (the leaver does not come back)
    killed_at = time.monotonic()
    victim.proc.send_signal(signal.SIGKILL)
    victim.proc.wait(10)
    during = await talk(9, "after-kill")
    leaving = await until(lambda: _saw_leaving(members, leaver, killed_at), 20, "presence:leaving for the leaver")
    timings.append(("SIGKILL a node", "to presence:leaving (dead node reaped)", leaving))
    await until(lambda: _status_is(cluster, members[1], leaver, 0), 20, "the leaver OFFLINE")
    timings.append(("SIGKILL a node", "to OFFLINE for a user who does not return", time.monotonic() - killed_at))
    await until(lambda: _all_connected(cluster, members, echo), 20, "clients reconnected elsewhere")
    timings.append(("SIGKILL a node", "to its clients reconnected (through nginx)",
                    _last_reconnect(sockets_and_echo(), killed_at)))
    await until(lambda: _equals(cluster.members_of(channel), everyone - {leaver.user["id"]}), 20,
                "presence members without the leaver")
    stayed = [c for c in sockets_and_echo() if not any(t >= killed_at for t in c.connects)]
    assert stayed, "every client was on the killed node"
    await all_received(during, stayed)  # sockets on the other nodes missed nothing
    await all_received(await talk(9, "after-kill-back"), sockets_and_echo())
    restarted = cluster.start_node(victim.port)
    await cluster.wait_ready(restarted)

    # 2. SIGTERM a node that holds some of the members' sockets: it drains, they reconnect elsewhere
    holding = [n for n in cluster.live() if await cluster.sockets_on(n) > 0]
    drained = holding[0]
    termed_at = time.monotonic()
    drained.proc.send_signal(signal.SIGTERM)
    assert drained.proc.wait(15) == 0
    timings.append(("SIGTERM a node", "to exit 0 (drained)", time.monotonic() - termed_at))
    await until(lambda: _all_connected(cluster, members, echo), 20, "clients reconnected after the drain")
    timings.append(("SIGTERM a node", "to its clients reconnected", _last_reconnect(sockets_and_echo(), termed_at)))
    await until(lambda: _equals(cluster.members_of(channel), everyone - {leaver.user["id"]}), 20,
                "presence members after the drain")
    await until(lambda: _everyone_online(cluster, members), 20, "everyone ONLINE after the drain")
    await all_received(await talk(9, "after-term"), sockets_and_echo())
    restarted = cluster.start_node(drained.port)
    await cluster.wait_ready(restarted)

    # 3. Redis dies for 15 s and comes back empty: nobody's socket drops, every 201 reaches every socket once
    got_before = {id(p): len(p.got) for p in sockets_and_echo()}
    redis.kill()
    outage_started = time.monotonic()
    mark = len(cluster.answers)
    during_redis = await talk(9, "redis-down")
    answers = {"Redis down": _tally(cluster.answers[mark:])}
    await asyncio.sleep(max(0.0, 15 - (time.monotonic() - outage_started)))
    redis.start()
    returned_at = time.monotonic()
    took = await all_received(during_redis, sockets_and_echo(), timeout=30)
    timings.append(("Redis down 15 s, back empty", "to every held message delivered", took))
    await until(lambda: _equals(cluster.members_of(channel), everyone - {leaver.user["id"]}), 20,
                "presence members re-registered")
    timings.append(("Redis down 15 s, back empty", "to presence members right again", time.monotonic() - returned_at))
    await until(lambda: _everyone_online(cluster, members), 20, "statuses right again")
    timings.append(("Redis down 15 s, back empty", "to online statuses right again", time.monotonic() - returned_at))
    for person in sockets_and_echo():
        assert len(person.got) >= got_before[id(person)] + len(during_redis)
    await all_received(await talk(9, "after-redis"), sockets_and_echo())

    # 4. PostgreSQL stops for 15 s: sends answer 503 (never 500), sockets stay, what got 201 is delivered
    pg.stop()
    pg_down = time.monotonic()
    mark = len(cluster.answers)
    during_pg = await talk(6, "pg-down")
    answers["PostgreSQL down"] = _tally(cluster.answers[mark:])
    assert not during_pg, "a send answered 201 with the database down"
    await asyncio.sleep(max(0.0, 15 - (time.monotonic() - pg_down)))
    pg.start()
    pg_back = time.monotonic()

    async def sends_work() -> bool:
        status, message_id = await members[0].send(thread, "probe")
        cluster.answers.append(status)
        if status == 201 and message_id:
            answered[message_id] = "probe"
        return status == 201
    await until(sends_work, 30, "sends work again")
    timings.append(("PostgreSQL down 15 s", "to the first 201 after it is back", time.monotonic() - pg_back))
    await all_received(await talk(9, "after-pg"), sockets_and_echo())

    # the whole run: every 201 stored exactly once, no 500 anywhere
    stored = await _stored_ids(cluster, members[0], thread)
    assert set(answered) <= set(stored), "a message answered 201 was not stored"
    assert len(stored) == len(set(stored)), "a message was stored twice"
    assert 500 not in cluster.answers
    assert {s for s in cluster.answers} <= {201, 0, 502, 503, 504}, sorted(set(cluster.answers))
    for node in cluster.live():
        assert "Traceback" not in node.log.read_text(errors="replace"), node.log
    await echo.stop()
    for person in people:
        await person.close()
    table = "\n".join([f"{'fault':<28} {'measure':<46} {'seconds':>7}"] +
                      [f"{fault:<28} {measure:<46} {seconds:>7.2f}" for fault, measure, seconds in timings])
    answers["the whole run"] = _tally(cluster.answers)
    table += "\n" + "\n".join(f"sends answered, {when}: {tally}" for when, tally in answers.items())
    with capsys.disabled():
        print("\nchaos timings:\n" + table)


def _tally(statuses: list[int]) -> dict[int, int]:
    return {status: statuses.count(status) for status in sorted(set(statuses))}


def _last_reconnect(clients: list[Any], since: float) -> float:
    """Seconds from `since` to the last client's reconnect after it (0 when none had to reconnect)."""
    return max((t for c in clients for t in c.connects if t >= since), default=since) - since


async def _true(value: bool) -> bool:
    return value


async def _equals(value: Any, expected: Any) -> bool:
    return await value == expected


async def _counts(cluster: Cluster) -> list[float]:
    return [await cluster.sockets_on(n) for n in cluster.nodes]


async def _changed(cluster: Cluster, before: list[float]) -> bool:
    return await _counts(cluster) != before


async def _saw_leaving(members: list[Member], leaver: Member, since: float) -> bool:
    """Every member that stayed saw presence:leaving for the leaver after the kill."""
    return all(any(t >= since and event == "presence:leaving" and args[1]["user_id"] == leaver.user["id"]
                   for t, event, args in person.seen) for person in members if person.sio.connected)


async def _status_is(cluster: Cluster, viewer: Member, whom: Member, status: int) -> bool:
    try:
        async with viewer.http.get(f"{viewer.public}/api/messenger/search/{whom.name}",
                                   headers={"Authorization": f"Bearer {viewer.user['token']}"}) as reply:
            if reply.status != 200:
                return False
            hits = (await reply.json())["data"]
    except aiohttp.ClientError:
        return False
    return any(h["provider_id"] == whom.user["id"] and h["options"]["online_status"] == status for h in hits)


async def _everyone_online(cluster: Cluster, members: list[Member]) -> bool:
    """Each member, as another member sees them, is ONLINE (their socket is connected)."""
    for n, person in enumerate(members):
        if not await _status_is(cluster, members[n - 1], person, 1):
            return False
    return True


async def _all_connected(cluster: Cluster, people: list[Member], echo: EchoMember) -> bool:
    """Every client says it is connected, and the live nodes count as many sockets (a client on a node that just
    went away may not have noticed yet)."""
    if not (all(p.sio.connected for p in people) and echo.connected()):
        return False
    return sum([await cluster.sockets_on(n) for n in cluster.live()]) == len(people) + 1


async def _stored_ids(cluster: Cluster, reader: Member, thread: str) -> list[str]:
    ids: list[str] = []
    path = f"/api/messenger/threads/{thread}/messages"
    while True:
        async with reader.http.get(f"{reader.public}{path}",
                                   headers={"Authorization": f"Bearer {reader.user['token']}"}) as reply:
            assert reply.status == 200, await reply.text()
            page = await reply.json()
        ids += [m["id"] for m in page["data"]]
        if page["meta"]["final_page"]:
            return ids
        path = page["meta"]["next_page_route"]
