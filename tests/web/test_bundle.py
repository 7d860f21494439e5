"""The committed bundle is what web/ builds: CI rebuilds it from the pinned packages (package-lock.json) and fails
when the two differ, so the shipped client never drifts from its source."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from messenger_gateway.rest.web_client import BUNDLE_DIR
from tests.support.services import IN_CI

WEB = Path(__file__).resolve().parents[2] / "web"


@pytest.fixture(scope="session")
def npm() -> str:
    found = shutil.which("npm")
    if not found or not shutil.which("node"):
        if IN_CI:
            pytest.fail("node and npm are required under CI=true to rebuild the web client")
        pytest.skip("node/npm not installed: the web client bundle cannot be rebuilt here")
    marker = WEB / "node_modules" / ".package-lock.json"
    if not marker.exists() or marker.stat().st_mtime < (WEB / "package-lock.json").stat().st_mtime:
        result = subprocess.run([found, "ci", "--no-audit", "--no-fund"], cwd=WEB, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
    return found


def test_the_committed_bundle_is_a_fresh_build_of_web(npm, tmp_path):
    result = subprocess.run(["node", "build.mjs", str(tmp_path)], cwd=WEB, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    built = sorted(p.name for p in tmp_path.iterdir())
    assert built == sorted(p.name for p in BUNDLE_DIR.iterdir()), "the bundle's files changed: run `npm run build` in web/"
    for name in built:
        assert (tmp_path / name).read_bytes() == (BUNDLE_DIR / name).read_bytes(), \
            f"{name} differs from a fresh build: run `npm run build` in web/ and commit the result"
