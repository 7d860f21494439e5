"""`server.workers: N` (`--workers N`): N processes serving one port (SO_REUSEPORT: the kernel spreads the
connections), each a node of one cluster on the shared database and Redis, so that a machine with N cores is used
whole. This process only supervises: it starts them, restarts one that dies, passes SIGTERM/SIGINT on (each drains
like a single node) and exits when they all have."""
from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from types import FrameType

log = logging.getLogger("messenger")

RESTART_PAUSE_SECONDS = 1.0  # a worker that died is started again after this, unless we are stopping
POLL_SECONDS = 0.2


def one_worker(argv: list[str]) -> list[str]:
    """The command line without its --workers (a worker takes server.workers from its environment: 1)."""
    kept: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--workers":
            skip = True
        elif not arg.startswith("--workers="):
            kept.append(arg)
    return kept


def _start(index: int, argv: list[str]) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MESSENGER_SERVER__WORKERS": "1", "MESSENGER_SERVER__REUSE_PORT": "true"}
    return subprocess.Popen([sys.executable, "-m", "messenger_gateway", *one_worker(argv)], env=env)


def supervise(workers: int, argv: list[str], shutdown_timeout: float) -> int:
    """Run `workers` copies of this command; 0 once they all stopped cleanly after a signal."""
    received: list[int] = []

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if not received:
            log.info("%s received: stopping %d workers", signal.Signals(signum).name, workers)
        received.append(signum)
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signum)

    procs = [_start(i, argv) for i in range(workers)]
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, on_signal)
    log.info("supervising %d workers (pids %s)", workers, ", ".join(str(p.pid) for p in procs))
    while not received:
        for index, proc in enumerate(procs):
            code = proc.poll()
            if code is not None and not received:
                log.warning("worker %d (pid %d) exited with %d: starting it again", index, proc.pid, code)
                time.sleep(RESTART_PAUSE_SECONDS)
                if not received:
                    procs[index] = _start(index, argv)
        time.sleep(POLL_SECONDS)
    deadline = time.monotonic() + shutdown_timeout + 5.0
    codes = []
    for proc in procs:
        try:
            codes.append(proc.wait(timeout=max(0.1, deadline - time.monotonic())))
        except subprocess.TimeoutExpired:
            proc.kill()
            codes.append(proc.wait())
    return 0 if all(code == 0 for code in codes) else 1
