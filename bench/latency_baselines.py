"""Baselines measured beside the identify latency, in the same run, on the same host.

This host's speed drifts by up to ~1.8x over a day, so an absolute latency alone says little;
two baselines measured minutes apart from the figure put it in proportion:

* the raw framework endpoint: ``GET /healthz`` of the same uvicorn process, over the same HTTP
  client (an HTTP round trip through FastAPI with no work behind it);
* the raw database round trip: ``SELECT 1`` on one asyncpg connection to the same server.
"""

from __future__ import annotations

import statistics
import time

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

CALLS = 1000


async def healthz(http: httpx.AsyncClient, calls: int = CALLS) -> list[float]:
    """Latencies (ms) of sequential ``GET /healthz`` calls."""
    latencies = []
    for _ in range(calls):
        started = time.perf_counter()
        (await http.get("/healthz")).raise_for_status()
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def select_one(url: str, calls: int = CALLS) -> list[float]:
    """Latencies (ms) of sequential ``SELECT 1`` round trips on one connection."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            latencies = []
            for _ in range(calls):
                started = time.perf_counter()
                await connection.execute(text("SELECT 1"))
                latencies.append((time.perf_counter() - started) * 1000)
            return latencies
    finally:
        await engine.dispose()


def p50_p99(values: list[float]) -> tuple[float, float]:
    """The median and the 99th percentile."""
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[98]


def report(identify: list[float], http_baseline: list[float], db_baseline: list[float]) -> None:
    """Print both baselines and identify's p50 and p99 as multiples of them."""
    ours, web, db = p50_p99(identify), p50_p99(http_baseline), p50_p99(db_baseline)
    print(f"  baseline GET /healthz  p50 {web[0]:6.2f}  p99 {web[1]:6.2f} ms")
    print(f"  baseline SELECT 1      p50 {db[0]:6.2f}  p99 {db[1]:6.2f} ms")
    print(
        f"  identify = {ours[0] / web[0]:.1f}x /healthz at p50, {ours[1] / web[1]:.1f}x at p99; "
        f"{ours[0] / db[0]:.1f}x a database round trip at p50",
        flush=True,
    )
