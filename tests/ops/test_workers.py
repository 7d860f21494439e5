"""`--workers 2`: two processes on one port (SO_REUSEPORT), both serving sockets, each delivering the other's
events (they are nodes of one cluster on Redis and PostgreSQL); SIGTERM stops both cleanly."""
from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
import uuid

import aiohttp
import pytest

from tests.conftest import drop_schema
from tests.support.http import Api
from tests.support.nodes import FAST_SECURITY, ROOT, free_port
from tests.support.services import require_postgres, require_redis
from tests.support.sockets import connect

KEY = {"Authorization": "Bearer key-one"}


def scrape(text: str, name: str) -> float:
    match = re.search(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+-]+)$", text, re.M)
    assert match, f"{name} not in /metrics"
    return float(match.group(1))


@pytest.fixture
def cluster_env(tmp_path):
    url = require_postgres()
    schema = f"w_{uuid.uuid4().hex[:12]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MESSENGER_")}
    env.update({
        "MESSENGER_DATABASE_URL": url, "MESSENGER_DATABASE_SCHEMA": schema, "MESSENGER_REDIS_URL": require_redis(),
        "MESSENGER_GATEWAY__REDIS_PREFIX": f"w{uuid.uuid4().hex[:8]}:", "MESSENGER_STORAGE_DIR": str(tmp_path),
        "MESSENGER_SECURITY": str(FAST_SECURITY), "MESSENGER_GATEWAY__CLIENTS": '[{"app_id": "app1", "key": "key-one"}]',
        "MESSENGER_LIMITS__REGISTER_PER_MINUTE": "100000",
    })
    yield env
    asyncio.run(drop_schema(url, schema))


async def test_two_workers_share_one_port_and_deliver_each_others_events(cluster_env, tmp_path):
    port = free_port()
    log = (tmp_path / "workers.log").open("wb")
    proc = subprocess.Popen([sys.executable, "run.py", "--port", str(port), "--workers", "2"], cwd=ROOT,
                            env=cluster_env, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        # a fresh connection per request: the kernel picks a worker for each
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
            nodes: set[str] = set()
            deadline = time.monotonic() + 60
            while len(nodes) < 2:
                assert proc.poll() is None, (tmp_path / "workers.log").read_text(errors="replace")
                assert time.monotonic() < deadline, f"only saw workers {nodes}"
                try:
                    async with http.get(f"{base}/health") as resp:
                        body = await resp.json()
                        if resp.status == 200 and body["status"] == "ok":
                            nodes.add(body["node"])
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.05)

            api = Api(base, http)
            user = await api.register()
            channel = f"private-messenger.user.{user.id}"
            sockets = [await connect(base, user.token) for _ in range(16)]
            for socket in sockets:
                await socket.subscribe(channel, user.token)
            # both workers hold some of the sockets (each /metrics is one worker's)
            per_node: dict[str, float] = {}
            deadline = time.monotonic() + 20
            while len(per_node) < 2 or sum(per_node.values()) != 16:
                assert time.monotonic() < deadline, f"sockets per worker: {per_node}"
                async with http.get(f"{base}/metrics") as resp:
                    text = await resp.text()
                node = re.search(r'^messenger_node_info{node="([0-9a-f]+)"} 1', text, re.M)
                assert node
                per_node[node.group(1)] = scrape(text, "messenger_sockets_connected")
                await asyncio.sleep(0.02)
            assert all(count > 0 for count in per_node.values()), per_node

            await asyncio.sleep(0.5)  # the subscriptions known cluster-wide
            for n in range(4):  # each publish lands on one worker or the other; every socket gets every one
                async with http.post(f"{base}/apps/app1/events", headers=KEY,
                                     json={"name": "Tick", "channel": channel, "data": {"n": n}}) as resp:
                    assert resp.status == 200
            for socket in sockets:
                events = await socket.wait_for("Tick", channel, count=4)
                assert [args[1]["n"] for args in events] == [0, 1, 2, 3]
            for socket in sockets:
                await socket.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        log.close()
    assert code == 0, (tmp_path / "workers.log").read_text(errors="replace")
    assert (tmp_path / "workers.log").read_text().count("stopped in") == 2  # each drained and stopped


def test_more_than_one_worker_needs_a_cluster(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MESSENGER_")}
    env["MESSENGER_STORAGE_DIR"] = str(tmp_path)
    result = subprocess.run([sys.executable, "run.py", "--workers", "2", "--port", str(free_port())], cwd=ROOT,
                            env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "server.workers above 1 needs redis_url" in result.stderr
