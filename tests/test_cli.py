"""run.py as a user runs it: create a user, migrate, serve, and stop cleanly on SIGINT/SIGTERM."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import orjson
import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MESSENGER_")}
    env["MESSENGER_STORAGE_DIR"] = str(tmp_path / "storage")
    fast = tmp_path / "fast.yaml"
    fast.write_text("security:\n  argon2_time_cost: 1\n  argon2_memory_kib: 1024\n  argon2_parallelism: 1\n")
    env["MESSENGER_CONFIG"] = str(fast)
    return env


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "run.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def get_json(url: str, token: str | None = None) -> tuple[int, object]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status, orjson.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, orjson.loads(exc.read())


def wait_for(url: str, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early: {proc.stderr.read() if proc.stderr else ''}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    raise AssertionError("server did not start")


def test_user_create_migrate_and_serve(tmp_path):
    env = cli_env(tmp_path)
    created = run_cli(["user", "create", "--name", "Ops Person", "--email", "ops@example.com", "--password", "longpassword"], env)
    assert created.returncode == 0, created.stderr
    lines = dict(line.split(": ", 1) for line in created.stdout.strip().splitlines())
    assert set(lines) == {"id", "token"}
    duplicate = run_cli(["user", "create", "--name", "X", "--email", "ops@example.com", "--password", "longpassword"], env)
    assert duplicate.returncode != 0 and "already been taken" in duplicate.stderr
    migrated = run_cli(["migrate"], env)
    assert migrated.returncode == 0 and "unchanged" in migrated.stdout

    port = free_port()
    proc = subprocess.Popen([sys.executable, "run.py", "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(f"{base}/api/messenger", proc)
        status, body = get_json(f"{base}/api/messenger/settings", lines["token"])
        assert status == 200 and body["owner_id"] == lines["id"]
        status, body = get_json(f"{base}/api/messenger/settings", "wrong")
        assert status == 401
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_fresh_storage_dir_gets_a_schema_and_sigint_stops(tmp_path):
    env = cli_env(tmp_path)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "run.py", "--port", str(port), "--host", "127.0.0.1"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(f"http://127.0.0.1:{port}/api/messenger", proc)
        assert (tmp_path / "storage" / "messenger.sqlite3").is_file()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize("bad", [["--port", "0"], ["--port", "99999"]])
def test_bad_port_flag(tmp_path, bad):
    result = run_cli(bad, cli_env(tmp_path))
    assert result.returncode == 2 and result.stderr.startswith("config error:")
