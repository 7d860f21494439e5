"""A PostgreSQL server of the test's own, on a free port in a temp dir, for tests that stop or restart it (the
machine's shared PostgreSQL is never stopped)."""
from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Iterator

import pytest

from tests.support.nodes import free_port
from tests.support.services import IN_CI

SEARCH_PATH = ["/usr/local/bin", *sorted(str(p) for p in Path("/usr/lib/postgresql").glob("*/bin"))]


def _binary(name: str) -> str:
    found = shutil.which(name) or next((str(Path(d) / name) for d in SEARCH_PATH if (Path(d) / name).exists()), None)
    if found is None:
        if IN_CI:
            pytest.fail(f"{name} is required under CI=true to run a PostgreSQL of the test's own")
        pytest.skip(f"{name} (PostgreSQL server binaries) is not installed")
    return found


class OwnPostgres:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"
        # PostgreSQL refuses to run as root: as root, the cluster belongs to the postgres user
        self._as: list[str] = []
        self.workdir = Path(tempfile.mkdtemp(prefix="mg-pg-"))
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                pytest.skip("running as root without a postgres user to run PostgreSQL as")
            os.chown(self.workdir, owner.pw_uid, owner.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        self.data = self.workdir / "data"
        self._run(_binary("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync")

    def _run(self, *command: str) -> None:
        result = subprocess.run([*self._as, *command], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise AssertionError(f"{command[0]} failed: {result.stdout}\n{result.stderr}")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-l", str(self.workdir / "log"), "-o", options, "-w",
                  "-t", "60", "start")

    def stop(self) -> None:
        """Stop at once, as a crash would: every connection is cut."""
        with contextlib.suppress(AssertionError):
            self._run(_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


@contextlib.contextmanager
def own_postgres() -> Iterator[OwnPostgres]:
    server = OwnPostgres()
    server.start()
    try:
        yield server
    finally:
        server.remove()
