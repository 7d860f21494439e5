"""The benchmark scripts in their --quick smoke mode, so they keep working (their figures are not asserted)."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.services import IN_CI

ROOT = Path(__file__).resolve().parent.parent


def run_bench(module: str) -> dict:
    result = subprocess.run([sys.executable, "-m", module, "--quick"], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    path = result.stdout.strip().splitlines()[-1].removeprefix("results: ")
    return json.loads(Path(path).read_text())


def test_heartbeat_bench_quick():
    rows = run_bench("bench.heartbeat")["rows"]
    assert [r["mode"] for r in rows] == ["steady", "toggle"]
    assert all(r["requests"] > 0 and r["errors"] == 0 for r in rows)


def test_fanout_bench_quick():
    if not shutil.which("node"):
        if IN_CI:
            pytest.fail("node is required for the fan-out benchmark under CI=true")
        pytest.skip("node not installed")
    (row,) = run_bench("bench.fanout")["rows"]
    assert row["sockets"] == 100 and row["lost"] == 0 and row["received"] == row["expected"]
