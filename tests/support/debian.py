"""Tools the tests need from Debian (nginx, chromium): found on the machine, or installed with apt-get when missing.

Installing needs root and apt-get; where neither works the test skips with the reason, except under CI=true."""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from tests.support.services import IN_CI


def _found(candidates: tuple[str, ...]) -> str | None:
    for candidate in candidates:
        path = shutil.which(candidate) or (candidate if os.path.isabs(candidate) and os.path.exists(candidate) else None)
        if path:
            return path
    return None


def debian_tool(candidates: tuple[str, ...], package: str) -> str:
    """The path of the first of `candidates` on the machine, installing Debian's `package` first if none is."""
    found = _found(candidates)
    if found:
        return found
    if shutil.which("apt-get") and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], capture_output=True, timeout=300, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", package], capture_output=True, timeout=600, env=env)
        found = _found(candidates)
        if found:
            return found
    if IN_CI:
        pytest.fail(f"{package} is required under CI=true and could not be installed with apt-get")
    pytest.skip(f"{package} is not installed and could not be installed (apt-get, as root)")
