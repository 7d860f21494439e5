"""Load generator for the heartbeat benchmark (runs in its own process)."""
from __future__ import annotations

import asyncio
import json
import sys
import time

import aiohttp


async def main(spec: dict) -> None:
    url, tokens, seconds, concurrency, toggle = spec["url"], spec["tokens"], spec["seconds"], spec["concurrency"], spec["toggle"]
    latencies: list[float] = []
    errors = 0
    stop = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        async def worker(index: int) -> None:
            nonlocal errors
            n = 0
            while time.monotonic() < stop:
                token = tokens[(index + n * concurrency) % len(tokens)]
                away = bool(n % 2) if toggle else False
                started = time.perf_counter()
                async with session.post(f"{url}/api/messenger/heartbeat", json={"away": away},
                                        headers={"Authorization": f"Bearer {token}"}) as resp:
                    await resp.read()
                    if resp.status != 200:
                        errors += 1
                latencies.append((time.perf_counter() - started) * 1000)
                n += 1

        began = time.monotonic()
        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        elapsed = time.monotonic() - began
    latencies.sort()
    pct = lambda p: round(latencies[min(len(latencies) - 1, int(len(latencies) * p))], 1) if latencies else None
    print(json.dumps({"requests": len(latencies), "errors": errors, "rps": round(len(latencies) / elapsed),
                      "p50_ms": pct(0.5), "p99_ms": pct(0.99)}))


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
