"""The browser-side npm packages (laravel-echo, socket.io-client) are installed by the test run itself."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.services import IN_CI

E2E = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def node_client() -> Path:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        if IN_CI:
            pytest.fail("node and npm are required for the browser-compatibility tests under CI=true")
        pytest.skip("node/npm not installed: browser-compatibility tests need them")
    marker = E2E / "node_modules" / ".package-lock.json"
    lock = E2E / "package-lock.json"
    if not marker.exists() or marker.stat().st_mtime < lock.stat().st_mtime:
        result = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=E2E, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            pytest.fail(f"npm ci failed: {result.stderr[-2000:]}")
    return E2E / "echo_client.mjs"


@pytest.fixture
def database(tmp_path: Path):
    yield {"database_url": f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"}


@pytest.fixture
def config_overrides():
    return {"gateway": {"clients": [{"app_id": "app1", "key": "key-one"}]}}
