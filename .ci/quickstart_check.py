#!/usr/bin/env python3
"""Prove the README's first Quickstart command on a clean virtualenv, as a new user would run it.

Reads the command from README.md (the first line of the Quickstart block), runs it with a fresh virtualenv's
bin first on PATH (no extras, non-editable: what `pip install .` gives a user), on a free port with a temporary
storage directory, waits for GET /api/messenger, sends SIGTERM and requires exit 0 within 5 s. Standard library
only: this runs before anything of ours is installed.
"""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STOP_LIMIT_SECONDS = 5.0
START_LIMIT_SECONDS = 300.0  # includes the pip install of the command


def quickstart_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Quickstart\s+```sh\n(.*?)```", text, re.S)
    if not block:
        sys.exit("quickstart check: README.md has no Quickstart sh block")
    commands = [line.strip() for line in block.group(1).splitlines() if line.strip()]
    if len(commands) != 2:
        sys.exit(f"quickstart check: the Quickstart must be exactly two commands, found {len(commands)}")
    return commands


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    run_command = quickstart_commands()[0]
    with tempfile.TemporaryDirectory(prefix="quickstart-") as tmp:
        venv = Path(tmp) / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("MESSENGER_", "PYTHON", "VIRTUAL_ENV"))}
        env.update({"PATH": f"{venv / 'bin'}:{env.get('PATH', '')}", "VIRTUAL_ENV": str(venv),
                    "MESSENGER_PORT": str(port), "MESSENGER_STORAGE_DIR": str(Path(tmp) / "storage"),
                    "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
        print(f"quickstart check: {run_command!r} in a clean virtualenv, port {port}", flush=True)
        log = open(Path(tmp) / "server.log", "w+")
        proc = subprocess.Popen(["bash", "-c", f"exec {run_command}" if "&&" not in run_command else run_command],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            started = time.monotonic()
            info = None
            while time.monotonic() - started < START_LIMIT_SECONDS:
                if proc.poll() is not None:
                    break
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/messenger", timeout=2) as resp:
                        info = json.loads(resp.read())
                        break
                except OSError:
                    time.sleep(0.5)
            if info is None or "apiEndpoint" not in info:
                log.seek(0)
                print(log.read()[-5000:])
                print("quickstart check: FAILED, the server did not answer GET /api/messenger")
                return 1
            # the web client ships in the package: its page names the bundle, and the bundle is served
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/messenger", timeout=5) as resp:
                page = resp.read().decode()
            bundle = re.search(r'src="(/messenger/assets/app\.js\?v=[0-9a-f]+)"', page)
            if bundle is None:
                print("quickstart check: FAILED, the web client's page names no bundle (not in the package?)")
                return 1
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{bundle.group(1)}", timeout=5) as resp:
                if resp.status != 200 or len(resp.read()) < 10_000:
                    print("quickstart check: FAILED, the web client's bundle is not served")
                    return 1
            installed = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
                                       capture_output=True, text=True).stdout
            extras = [name for name in ("asyncpg", "pytest") if re.search(rf"^{name}==", installed, re.M | re.I)]
            if extras:
                print(f"quickstart check: FAILED, the clean virtualenv has extras installed: {extras}")
                return 1
            # the server is the process group's leader's child (bash ran `pip ... && messenger-gateway`)
            os.killpg(proc.pid, signal.SIGTERM)
            stopped = time.monotonic()
            try:
                code = proc.wait(timeout=STOP_LIMIT_SECONDS)
            except subprocess.TimeoutExpired:
                print(f"quickstart check: FAILED, still running {STOP_LIMIT_SECONDS:g} s after SIGTERM")
                return 1
            took = time.monotonic() - stopped
            log.seek(0)
            output = log.read()
            if code != 0 or "Traceback" in output:
                print(output[-5000:])
                print(f"quickstart check: FAILED, exit code {code} after SIGTERM")
                return 1
            print(f"quickstart check: ok: GET /api/messenger answered {time.monotonic() - started - took:.1f} s after "
                  f"the command started (install included); SIGTERM -> exit 0 in {took:.2f} s")
            return 0
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            log.close()


if __name__ == "__main__":
    sys.exit(main())
