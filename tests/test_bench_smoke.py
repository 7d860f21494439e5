"""`python -m bench --quick`: every benchmark scenario in smoke mode, so the scripts do not rot (their figures
are not asserted; they are measured by the full run, see docs/performance.md)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.services import IN_CI

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "quick"


def test_every_benchmark_runs_in_quick_mode():
    if not shutil.which("node"):
        if IN_CI:
            pytest.fail("node is required for the benchmarks under CI=true")
        pytest.skip("node not installed")
    result = subprocess.run([sys.executable, "-m", "bench", "--quick"], cwd=ROOT, capture_output=True, text=True,
                            timeout=200)
    assert result.returncode == 0, result.stderr[-3000:]

    def rows(name: str) -> list[dict]:
        return json.loads((RESULTS / f"{name}.json").read_text())["rows"]

    (fan,) = rows("fanout")
    assert fan["sockets"] == 100 and fan["lost"] == 0 and fan["received"] == fan["expected"]
    assert fan["load_cpu_percent"] >= 0 and fan["harness_bound"] in ("yes", "no")
    (cap,) = rows("capacity")
    assert cap["connected"] == cap["target"] == 200 and cap["failed"] == 0
    beats = rows("heartbeat")
    assert [r["mode"] for r in beats] == ["steady", "toggle"]
    assert all(r["requests"] > 0 and r["errors"] == 0 for r in beats)
    (path,) = rows("message_path")
    assert path["errors"] == 0 and path["lost"] == 0 and path["delivered"] == path["sent"] * path["members"]
    bounded, unbounded = rows("slow_consumers")
    assert bounded["bound_kb"] == 1024 and bounded["reader_received"] == bounded["sent"] > 0
    memory = {r["part"]: r for r in rows("socket_memory")}
    assert memory["total"]["bytes_per_socket"] > 0 and len(memory) > 3
    (pause,) = rows("pauses")
    assert pause["connected"] == 200 and pause["events"] > 0 and pause["stall_max_ms"] >= 0


def test_the_before_after_benchmarks_run():
    """bench.instructions' measured workload (without valgrind) and bench.overhead's command line."""
    beat = subprocess.run([sys.executable, "bench/instructions.py", "--beat", "5"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert beat.returncode == 0, beat.stderr[-3000:]
    usage = subprocess.run([sys.executable, "-m", "bench.overhead", "--help"], cwd=ROOT, capture_output=True,
                           text=True, timeout=60)
    assert usage.returncode == 0 and "--trees" in usage.stdout
