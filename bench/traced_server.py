"""Our server (run.py's command line) with tracemalloc on, for bench/socket_memory.py: SIGUSR1 takes a snapshot;
the second one writes what was allocated in between, by source line, to $MG_TRACE_OUT (JSON)."""
import gc
import json
import os
import signal
import sys
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
tracemalloc.start(1)
snapshots: list[tracemalloc.Snapshot] = []


def snapshot(*_: object) -> None:
    gc.collect()
    snapshots.append(tracemalloc.take_snapshot())
    if len(snapshots) == 2:
        lines = [(d.size_diff, d.count_diff, d.traceback[0].filename, d.traceback[0].lineno)
                 for d in snapshots[1].compare_to(snapshots[0], "lineno")]
        target = os.environ["MG_TRACE_OUT"]
        with open(target + ".part", "w") as out:
            json.dump(lines, out)
        os.replace(target + ".part", target)  # whole, or not there yet


signal.signal(signal.SIGUSR1, snapshot)
from messenger_gateway.app.cli import main  # noqa: E402  (tracing starts before anything is imported)

sys.exit(main(sys.argv[1:]))
