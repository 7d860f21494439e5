"""The server as a process, the way users run it: clean stops on SIGTERM/SIGINT (with clients connected too),
one-line errors, retries for a dependency that is down at start, and the log lines it writes."""
from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import orjson
import pytest
import socketio

from tests.support.nodes import ROOT, free_port, node_process
from tests.support.redis_server import OwnRedis
from tests.support.sockets import connect


def stop(proc: subprocess.Popen, sig: signal.Signals = signal.SIGTERM, limit: float = 5.0) -> float:
    """Signal the process; return how long it took to exit (it must exit 0 within `limit`)."""
    started = time.monotonic()
    proc.send_signal(sig)
    code = proc.wait(timeout=limit + 5)
    took = time.monotonic() - started
    assert code == 0, f"exit code {code}"
    assert took < limit, f"took {took:.1f} s to exit"
    return took


def log_of(workdir: Path, base: str) -> str:
    return (workdir / f"node-{base.rsplit(':', 1)[1]}.log").read_text(errors="replace")


async def test_sigterm_with_clients_connected_drains_in_seconds_and_the_clients_reconnect(tmp_path):
    config = {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'shared.sqlite3'}"}
    port = free_port()
    async with node_process(config, tmp_path, port=port) as (base, proc, api):
        me = await api.register()
        reconnecting = socketio.AsyncClient(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=0.5)
        connects: list[float] = []
        reconnecting.on("connect", lambda: connects.append(time.monotonic()))
        await reconnecting.connect(base, auth={"headers": {"Authorization": f"Bearer {me.token}"}},
                                   transports=["websocket"], wait_timeout=10)
        polling = await connect(base, me.token, transports=["polling"])
        websocket = await connect(base, me.token)
        await websocket.subscribe(f"private-messenger.user.{me.id}")
        await asyncio.sleep(0.3)
        took = await asyncio.to_thread(stop, proc)
        log = log_of(tmp_path, base)
        assert "Traceback" not in log and "CancelledError" not in log, log
        assert "SIGTERM received: draining" in log and "closed 3 sockets" in log
        await websocket.wait_for("__disconnect__")
        await polling.wait_for("__disconnect__")
        print(f"SIGTERM with 3 sockets connected: exited 0 in {took:.2f} s")

    # a new node on the same address: the client that kept reconnecting is back by itself
    async with node_process(config, tmp_path, port=port):
        deadline = time.monotonic() + 15
        while len(connects) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        assert len(connects) == 2 and reconnecting.connected
        await reconnecting.disconnect()


async def test_idle_stops_are_clean_every_time(tmp_path):
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGTERM, signal.SIGTERM):
        async with node_process({}, tmp_path) as (base, proc, api):
            assert (await api.get("/api/messenger")).status == 200
            took = await asyncio.to_thread(stop, proc, sig)
            log = log_of(tmp_path, base)
            assert "Traceback" not in log and "CancelledError" not in log, log
            assert took < 2, f"an idle node took {took:.1f} s to stop"


def run_cli(args: list[str], tmp_path: Path, env: dict[str, str] | None = None, timeout: float = 30,
            ) -> subprocess.CompletedProcess:
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("MESSENGER_")}
    base_env.update({"MESSENGER_STORAGE_DIR": str(tmp_path / "storage"), **(env or {})})
    return subprocess.run([sys.executable, "run.py", *args], cwd=ROOT, env=base_env, capture_output=True, text=True,
                          timeout=timeout)


def test_a_port_in_use_is_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(["--port", str(port)], tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == f"error: cannot listen on 127.0.0.1:{port}: address already in use"


def http_get(port: int, path: str) -> tuple[int, dict, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as reply:
            return reply.status, orjson.loads(reply.read()), dict(reply.headers)
    except urllib.error.HTTPError as refused:
        return refused.code, orjson.loads(refused.read()), dict(refused.headers)


def test_redis_unreachable_at_start_answers_503_retries_with_backoff_then_serves_when_it_comes(tmp_path):
    redis = OwnRedis(tmp_path)  # not started yet: nothing listens on its port
    port = free_port()
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "run.py", "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log,
            env={**{k: v for k, v in os.environ.items() if not k.startswith("MESSENGER_")},
                 "MESSENGER_STORAGE_DIR": str(tmp_path / "storage"), "MESSENGER_REDIS_URL": redis.url})
        unreachable = f"redis at {redis.url} is unreachable"
        deadline = time.monotonic() + 30
        while log_path.read_text().count(unreachable) < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        # the port answers while start-up waits: alive, not ready, and says what for
        status, body, _ = http_get(port, "/health")
        assert status == 200 and body["status"] == "starting", body
        status, body, headers = http_get(port, "/ready")
        assert status == 503 and body["status"] == "starting" and unreachable.replace(" is unreachable", "") in \
            body["message"], body
        status, body, headers = http_get(port, "/api/messenger")
        assert status == 503 and body["message"].startswith("The server is starting (waiting for redis at")
        assert headers["Retry-After"] == "2"

        redis.start()
        try:
            deadline = time.monotonic() + 40  # the next retry is at most 30 s away
            while http_get(port, "/ready")[0] != 200:
                assert time.monotonic() < deadline and proc.poll() is None, log_path.read_text()
                time.sleep(0.2)
            assert http_get(port, "/api/messenger")[0] == 200
            stop(proc, limit=5)
        finally:
            redis.kill()
    err = log_path.read_text()
    assert "Traceback" not in err, err
    retries = [line for line in err.splitlines() if unreachable in line]
    assert len(retries) >= 2, err
    assert "retrying in 0.5 s" in retries[0] and "retrying in 1.0 s" in retries[1]
    assert err.lower().count("listening on") == 1 and err.lower().index("listening on") > err.index(retries[-1])


@pytest.mark.parametrize(("dependency", "variable", "url", "wait"), [
    ("redis", "MESSENGER_REDIS_URL", "redis://127.0.0.1:{port}/0", "0"),
    ("redis", "MESSENGER_REDIS_URL", "redis://127.0.0.1:{port}/0", "1.2"),
    ("database", "MESSENGER_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:{port}/test", "0"),
])
def test_a_dependency_that_does_not_answer_in_time_ends_start_up_with_exit_code_3(tmp_path, dependency, variable, url,
                                                                                  wait):
    unreachable = url.format(port=free_port())
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "run.py", "--port", str(free_port()), "--wait-for-dependencies", wait], cwd=ROOT,
        capture_output=True, text=True, timeout=60,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("MESSENGER_")},
             "MESSENGER_STORAGE_DIR": str(tmp_path / "storage"), variable: unreachable})
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: {dependency} at {unreachable} is unreachable (") and \
        f"gave up after {wait} s (server.wait_for_dependencies_seconds)" in last, last
    took = time.monotonic() - started
    assert float(wait) <= took < float(wait) + 10


async def test_json_logs_have_one_object_per_line_with_request_and_socket_fields(tmp_path):
    async with node_process({}, tmp_path, env={"MESSENGER_LOGGING__FORMAT": "json"}) as (base, proc, api):
        me = await api.register()
        assert (await api.get("/api/messenger/settings", me.token)).status == 200
        sock = await connect(base, me.token)
        await sock.close()
        await asyncio.sleep(0.3)
        await asyncio.to_thread(stop, proc)
        entries = [orjson.loads(line) for line in log_of(tmp_path, base).splitlines() if line.strip()]
    assert all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    access = [e for e in entries if e["logger"] == "messenger.access" and e["http"]["route"] == "/api/messenger/settings"]
    assert len(access) == 1
    assert access[0]["http"]["status"] == 200 and access[0]["http"]["user_id"] == me.id
    assert access[0]["http"]["method"] == "GET" and access[0]["http"]["duration_ms"] >= 0
    sockets = [e["socket"] for e in entries if "socket" in e]
    assert [s["event"] for s in sockets] == ["connect", "disconnect"] and sockets[0]["user_id"] == me.id
    assert any(e["message"].startswith("Messenger Gateway listening on http://127.0.0.1:") for e in entries)




async def test_a_request_in_flight_at_sigterm_is_finished_while_new_ones_are_turned_away(tmp_path):
    async with node_process({}, tmp_path) as (base, proc, api):
        host, port = base.removeprefix("http://").split(":")
        body = orjson.dumps({"name": "Late Comer", "email": "late@example.com", "password": "a long password"})
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(f"POST /api/auth/register HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body[:10])
        await writer.drain()
        await asyncio.sleep(0.3)  # the request is being read when the signal comes
        proc.send_signal(signal.SIGTERM)
        await asyncio.sleep(0.5)
        with pytest.raises(OSError):  # the port no longer takes connections
            await asyncio.wait_for(asyncio.open_connection(host, int(port)), 2)
        writer.write(body[10:])
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), 10)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 201"), answer[:200]
        assert await asyncio.to_thread(proc.wait, 10) == 0


async def raw_exchange(base: str, data: bytes) -> tuple[int, dict[str, str], bytes]:
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(data)
    await writer.drain()
    raw = await asyncio.wait_for(reader.read(), 10)  # the server closes the connection after such an error
    writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in header_lines)}
    return int(status_line.split()[1]), headers, body


async def test_requests_aiohttp_cannot_parse_get_a_json_error(tmp_path):
    config = {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"}
    async with node_process(config, tmp_path) as (base, proc, api):
        malformed = {
            "not HTTP at all": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n",
            "a header line without a colon": b"GET /api/messenger HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
            "a header line over 8 KB": b"GET /api/messenger HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n",
            "a bad Content-Length": b"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: ten\r\n\r\n",
        }
        for what, request in malformed.items():
            status, headers, body = await raw_exchange(base, request)
            assert status == 400, (what, status, body)
            assert headers["content-type"].startswith("application/json"), (what, headers)
            message = orjson.loads(body)["message"]
            assert message.startswith("Bad Request"), (what, message)
        assert (await api.get("/api/messenger")).status == 200  # the node is unharmed
        assert "Traceback" not in log_of(tmp_path, base)
