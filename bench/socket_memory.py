"""What one idle socket costs our server, part by part.

    python -m bench.socket_memory [--sockets 5000] [--quick]

N sockets connect (bench/loadgen/capacity.mjs, `guarded`: each subscribed to a private channel of its own and a
presence channel shared by ten, authorized by bench/auth_host.py) to our server running under tracemalloc
(bench/traced_server.py); what was allocated between before and after, per socket, grouped by the code that
allocated it. tracemalloc itself makes the process bigger, so RSS per socket comes from bench.capacity (untraced);
these bytes are Python's allocations, which are nearly all of it.
"""
from __future__ import annotations

import argparse
import json
import signal
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.common import LOADGEN, auth_host, ensure_loadgen, messenger_server, pinned, save, settled_rss_kb, \
    stdin_of, stdout_of, table

COLUMNS = ["part", "bytes_per_socket", "objects_per_socket"]
# (what it is, where its allocations come from): the first match wins
PARTS = [
    ("aiohttp WebSocketResponse, its reader and writer", ("aiohttp/web_ws.py", "aiohttp/_websocket/")),
    ("aiohttp HTTP connection and request (protocol, parser, headers, URL)", ("aiohttp/", "multidict/", "yarl/")),
    ("python-engineio socket and its request environ", ("engineio/",)),
    ("python-socketio sessions and rooms", ("socketio/",)),
    ("asyncio tasks, futures, timers, transports", ("asyncio/", "_weakrefset.py", "selectors.py", "socket.py")),
    ("our HTTP middlewares (their frames live as long as the socket)", ("messenger_gateway/rest/",)),
    ("our WebSocket transport", ("messenger_gateway/gateway/websocket_transport.py",)),
    ("our channel and presence records", ("messenger_gateway/",)),
]


def part_of(filename: str) -> str:
    for name, markers in PARTS:
        if any(marker in filename for marker in markers):
            return name
    return "other (stdlib: urllib, json, dataclasses...)"


def run(sockets: int) -> list[dict]:
    out = Path(tempfile.mkdtemp(prefix="mg-trace-")) / "trace.json"
    with auth_host() as auth, messenger_server({"gateway": {"auth_host": auth}}, script="bench/traced_server.py",
                                                env={"MG_TRACE_OUT": str(out)}) as (url, proc):
        time.sleep(1)
        proc.send_signal(signal.SIGUSR1)
        spec = {"url": url, "sockets": sockets, "guarded": True}
        gen = subprocess.Popen(pinned(["node", str(LOADGEN / "capacity.mjs"), json.dumps(spec)], 1),
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        connected = json.loads(stdout_of(gen).readline())["connected"]
        settled_rss_kb(proc.pid)
        proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 300
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(1)
        time.sleep(1)
        lines = json.loads(out.read_text())
        stdin_of(gen).close()
        gen.wait(timeout=60)
    size: Counter[str] = Counter()
    count: Counter[str] = Counter()
    for size_diff, count_diff, filename, _ in lines:
        size[part_of(filename)] += size_diff
        count[part_of(filename)] += count_diff
    rows = [{"part": part, "bytes_per_socket": round(total / connected), "objects_per_socket":
             round(count[part] / connected, 1)} for part, total in size.most_common()]
    rows.append({"part": "total", "bytes_per_socket": round(sum(size.values()) / connected),
                 "objects_per_socket": round(sum(count.values()) / connected, 1)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sockets", type=int, default=5000)
    parser.add_argument("--quick", action="store_true", help="smoke mode: 200 sockets")
    args = parser.parse_args()
    ensure_loadgen()
    rows = run(200 if args.quick else args.sockets)
    print(table(rows, COLUMNS))
    print(f"results: {save('socket_memory', rows, args.quick)}")


if __name__ == "__main__":
    main()
