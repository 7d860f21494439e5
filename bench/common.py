"""Shared pieces of the benchmark scripts: a server process pinned to one core, RSS, result files."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import IO, Any, Iterator

import yaml

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
LOADGEN = ROOT / "bench" / "loadgen"
APP = {"app_id": "bench", "key": "bench-key"}
BENCH_LIMITS = {"register_per_minute": 1_000_000, "login_per_address_per_minute": 1_000_000,
                "messages_per_minute": 1_000_000}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pinned(cmd: list[str], core: int | str) -> list[str]:
    """Run on one core (or a taskset list such as "0,1") when taskset exists and the machine has more than one."""
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", str(core), *cmd]
    return cmd


@contextlib.contextmanager
def running_on(core: int) -> Iterator[None]:
    """Run this process on one core for a while (the load side stays off the server's core)."""
    can = hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1
    before = os.sched_getaffinity(0) if can else None
    if can:
        os.sched_setaffinity(0, {core})
    try:
        yield
    finally:
        if before is not None:
            os.sched_setaffinity(0, before)


def family(pid: int) -> list[int]:
    """The process and all its descendants (a server's workers)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                todo += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                pass
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stdout_of(proc: subprocess.Popen[str]) -> IO[str]:
    """The pipe of a process started with stdout=PIPE."""
    assert proc.stdout is not None
    return proc.stdout


def stdin_of(proc: subprocess.Popen[str]) -> IO[str]:
    """The pipe of a process started with stdin=PIPE."""
    assert proc.stdin is not None
    return proc.stdin


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@contextlib.contextmanager
def messenger_server(extra: dict[str, Any] | None = None, script: str = "run.py",
                     env: dict[str, str] | None = None, core: int | str = 0) -> Iterator[tuple[str, subprocess.Popen]]:
    """Our server on the embedded default (SQLite in a temp dir), pinned to core 0 (`script`: a wrapper of run.py's
    command line, such as bench/traced_server.py)."""
    workdir = Path(tempfile.mkdtemp(prefix="mg-bench-"))
    port = free_port()
    config = {"storage_dir": str(workdir), "logging": {"level": "WARNING"},
              # load generators are many clients on one address: the per-address and per-thread limits are off
              "limits": BENCH_LIMITS,
              "gateway": {"clients": [APP], "limits": {"max_anonymous_connections_per_address": 1_000_000}},
              "security": {"argon2_time_cost": 1, "argon2_memory_kib": 1024, "argon2_parallelism": 1}}
    for key, value in (extra or {}).items():
        base = config.get(key)
        config[key] = {**base, **value} if isinstance(value, dict) and isinstance(base, dict) else value
    (workdir / "bench.yaml").write_text(yaml.safe_dump(config))
    try:
        with _served([sys.executable, script, "--config", str(workdir / "bench.yaml"), "--port", str(port)], port,
                     env=env, core=core) as s:
            yield s
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@contextlib.contextmanager
def baseline_server() -> Iterator[tuple[str, subprocess.Popen]]:
    """bench/baseline/server.py: bare python-socketio + aiohttp, pinned to core 0."""
    port = free_port()
    with _served([sys.executable, str(ROOT / "bench" / "baseline" / "server.py"), str(port)], port) as served:
        yield served


LES_VERSION = "1.6.3"
LES_CLIENT = "2.5.0"  # laravel-echo-server speaks Socket.IO 2, so its clients need socket.io-client 2.x
LES_DIR = Path(tempfile.gettempdir()) / f"mg-bench-laravel-echo-server-{LES_VERSION}"


def ensure_les() -> Path:
    """laravel-echo-server and socket.io-client 2 from the npm registry, in a temp dir (installed once)."""
    if not (LES_DIR / "node_modules" / "laravel-echo-server").exists():
        LES_DIR.mkdir(parents=True, exist_ok=True)
        (LES_DIR / "package.json").write_text(json.dumps({"private": True, "dependencies": {
            "laravel-echo-server": LES_VERSION, "socket.io-client": LES_CLIENT}}))
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=LES_DIR, check=True, capture_output=True)
    return LES_DIR


@contextlib.contextmanager
def auth_host() -> Iterator[str]:
    """bench/auth_host.py (a Laravel app's /broadcasting/auth stand-in) on core 1, with the load generators."""
    port = free_port()
    cmd = [sys.executable, str(ROOT / "bench" / "auth_host.py"), str(port)]
    with _served(cmd, port, core=1) as (url, _):
        yield url


@contextlib.contextmanager
def les_server(auth: str = "http://127.0.0.1") -> Iterator[tuple[str, subprocess.Popen]]:
    """laravel-echo-server on core 0, with the same app id and key as ours (public channels need no auth host)."""
    folder = ensure_les()
    port = free_port()
    (folder / "laravel-echo-server.json").write_text(json.dumps({
        "authHost": auth, "authEndpoint": "/broadcasting/auth",
        "clients": [{"appId": APP["app_id"], "key": APP["key"]}],
        "database": "redis", "databaseConfig": {"redis": {"host": "127.0.0.1", "port": "6379",
                                                          "keyPrefix": "mg-bench-les:"}},
        "devMode": False, "host": "127.0.0.1", "port": str(port), "protocol": "http", "socketio": {},
        "subscribers": {"http": True, "redis": False}, "apiOriginAllow": {"allowCors": False},
    }))
    cmd = ["node", str(folder / "node_modules" / "laravel-echo-server" / "bin" / "server.js"), "start"]
    with _served(cmd, port, cwd=folder, ready_path="/") as served:
        yield served


@contextlib.contextmanager
def _served(cmd: list[str], port: int, cwd: Path = ROOT, ready_path: str = "/api/messenger", core: int | str = 0,
            env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """Start a server process on core 0, wait until it answers, stop it with SIGTERM afterwards."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MESSENGER_")}
    proc = subprocess.Popen(pinned(cmd, core), cwd=cwd, env={**clean, **(env or {})}, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}{ready_path}", proc)
        yield url, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def settled_rss_kb(pid: int, seconds: float = 60) -> int:
    """The process's RSS once it stops growing (two readings two seconds apart within 1%)."""
    deadline = time.monotonic() + seconds
    last = rss_kb(pid)
    while time.monotonic() < deadline:
        time.sleep(2)
        now = rss_kb(pid)
        if abs(now - last) <= last * 0.01:
            return now
        last = now
    return last


def wait_http(url: str, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("server exited during start-up")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("server did not start")


def ensure_loadgen() -> None:
    if not (LOADGEN / "node_modules" / "socket.io-client").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=LOADGEN, check=True, capture_output=True)


def save(name: str, rows: list[dict[str, Any]], quick: bool = False) -> Path:
    """bench/results/{name}.json, or bench/results/quick/{name}.json for smoke runs (so they never replace the
    figures of a full run)."""
    folder = RESULTS / "quick" if quick else RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    path.write_text(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M:%S"), "rows": rows}, indent=2))
    return path


def table(rows: list[dict[str, Any]], columns: list[str]) -> str:
    widths = [max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns]
    line = " | ".join(c.ljust(w) for c, w in zip(columns, widths))
    sep = "-+-".join("-" * w for w in widths)
    body = [" | ".join(str(r.get(c, "")).ljust(w) for c, w in zip(columns, widths)) for r in rows]
    return "\n".join([line, sep, *body])
