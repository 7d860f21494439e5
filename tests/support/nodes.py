"""A second server node as its own `python run.py` process (so a test can SIGKILL it)."""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, AsyncIterator

import aiohttp
import yaml

from tests.support.http import Api

ROOT = Path(__file__).resolve().parents[2]
FAST_SECURITY = {"argon2_time_cost": 1, "argon2_memory_kib": 1024, "argon2_parallelism": 1}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn_node(config: dict[str, Any], workdir: Path, port: int,
               env: dict[str, str] | None = None) -> tuple[subprocess.Popen, Path]:
    """`python run.py` on `port` with fast password hashing, high limits and `config` on top; its log in a file."""
    path = workdir / f"node-{port}.yaml"
    path.write_text(yaml.safe_dump({"security": FAST_SECURITY, "storage_dir": str(workdir / f"node-{port}"),
                                    "limits": {"register_per_minute": 100_000, "messages_per_minute": 100_000},
                                    **config}))
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MESSENGER_")}, **(env or {})}
    log_path = workdir / f"node-{port}.log"  # a file, not a pipe: a full pipe would block the node's logging
    with log_path.open("ab") as log_file:
        proc = subprocess.Popen([sys.executable, "run.py", "--config", str(path), "--port", str(port)], cwd=ROOT,
                                env=env, stdout=subprocess.DEVNULL, stderr=log_file)
    return proc, log_path


@contextlib.asynccontextmanager
async def node_process(
    config: dict[str, Any], workdir: Path, port: int | None = None, env: dict[str, str] | None = None,
) -> AsyncIterator[tuple[str, subprocess.Popen, Api]]:
    port = port or free_port()
    proc, log_path = spawn_node(config, workdir, port, env)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as session:
            deadline = time.monotonic() + 30
            while True:
                assert proc.poll() is None, log_path.read_text(errors="replace")
                try:
                    async with session.get(f"{base}/api/messenger") as resp:
                        if resp.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                assert time.monotonic() < deadline, "node did not start"
                await asyncio.sleep(0.1)
            yield base, proc, Api(base, session)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
