"""``POST /v1/customers/identify`` latency with a million customers registered, over HTTP.

Run: ``.venv/bin/python -m bench.bench_identity_latency [--customers 1000000] [--requests 2000]``.

1. A fresh PostgreSQL database (``bench.pg``) and the identity API as a real ``uvicorn``
   process (``idic serve identity``), as in ``bench_identity_febrl``.
2. Load ``--customers`` synthetic customers (``bench.bench_identity_synthetic``: skewed Chinese
   surnames, valid ID numbers and mobiles): the first ``--through-api`` (50,000) through the
   batch endpoint, 10,000 per call, the rest by ``bulk_load``, which writes the same rows with
   COPY (a batch against a million stored customers decrypts and compares ~500,000
   candidates, so a million through the API takes longer than this benchmark should); then
   ``VACUUM ANALYZE`` (what autovacuum does after a bulk load, done at once so the first
   probes do not race it).
3. Probe: ``--requests`` single ``identify`` calls, one at a time (latency, not throughput):
   40% a known customer from the mobile app (ID number: a deterministic link), 30% a known
   customer at the call centre (name, birth date, phone: a probabilistic link), 30% a new
   customer. The first 100 calls warm the process and are not counted. Every answer is
   checked: a returning customer must be linked to the customer it was loaded as. Beside
   them, in the same minutes, two baselines (``bench.latency_baselines``): ``GET /healthz``
   of the same process and a ``SELECT 1`` round trip, with identify as multiples of them.
4. Then the same mix from 8 concurrent clients, for throughput and latency under load.

The goal is p99 ≤ 25 ms for the sequential probes.

``--private-server shared_buffers=2GB`` runs everything on a PostgreSQL cluster of the
benchmark's own with those settings (``bench.pg.private_server``) instead of the shared server,
whose configuration is never changed. Either way the figures are preceded by the server's
address, version and memory settings.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from bench import latency_baselines as baselines
from bench.bench_identity_febrl import service_process
from bench.bench_identity_synthetic import (
    bulk_load,
    customer,
    returning_with_id,
    returning_without_id,
)
from bench.pg import PG_SERVER, private_server, scratch_database
from shared.memory import freeze_startup_heap
from shared.settings import AuthSettings
from shared.web import mint_token
from tests.support import migrate

BATCH = 10_000
WARM_UP = 100
KINDS: tuple[tuple[str, float], ...] = (("app_id", 0.4), ("call_centre", 0.3), ("new", 0.3))


async def load_through_api(http: httpx.AsyncClient, customers: int) -> float:
    """Register customers 0..n-1 through the batch endpoint; the seconds it took."""
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    with ThreadPoolExecutor(1) as pool:

        def make(start: int) -> list[dict[str, Any]]:
            return [customer(i) for i in range(start, min(start + BATCH, customers))]

        upcoming = loop.run_in_executor(pool, make, 0)
        for start in range(0, customers, BATCH):
            records = await upcoming
            if start + BATCH < customers:
                upcoming = loop.run_in_executor(pool, make, start + BATCH)
            response = await http.post("/v1/customers/identify/batch", json={"records": records})
            response.raise_for_status()
            assert response.json()["counts"] == {"created": len(records)}
            done = start + len(records)
            rate = done / (time.perf_counter() - started)
            print(f"\r  loaded {done:>9,} customers through the API, {rate:,.0f}/s", end="")
    print()
    return time.perf_counter() - started


async def customer_ids(url: str, indexes: set[int]) -> dict[int, str]:
    """The customer each watched synthetic customer was registered as."""
    engine = create_async_engine(url)
    wanted = {f"cif{i:09d}": i for i in indexes}
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(
                text(
                    "SELECT source_record_id, customer_id FROM source_record "
                    "WHERE source_system = 'core' AND source_record_id = ANY(:ids)"
                ),
                {"ids": list(wanted)},
            )
            return {wanted[record_id]: customer_id for record_id, customer_id in rows}
    finally:
        await engine.dispose()


def plan(
    customers: int, requests: int, *, seed: int, first_new: int
) -> list[tuple[str, int, dict[str, Any]]]:
    """The probe requests: (kind, customer index, record), in random order."""
    rng = random.Random(seed)
    probes = []
    for n in range(requests):
        kind = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
        if kind == "new":
            i = first_new + n
            probes.append((kind, i, customer(i)))
        else:
            i = rng.randrange(customers)
            make = returning_with_id if kind == "app_id" else returning_without_id
            probes.append((kind, i, make(i, n)))
    return probes


async def probe(
    http: httpx.AsyncClient, probes: list[tuple[str, int, dict[str, Any]]], known: dict[int, str]
) -> tuple[dict[str, list[float]], int]:
    """Send each probe; latencies (ms) per kind and the number of wrong answers."""
    latencies: dict[str, list[float]] = defaultdict(list)
    wrong = 0
    for kind, i, record in probes:
        started = time.perf_counter()
        response = await http.post("/v1/customers/identify", json=record)
        latencies[kind].append((time.perf_counter() - started) * 1000)
        wrong += not _correct(kind, i, response, known)
    return latencies, wrong


def _correct(kind: str, i: int, response: httpx.Response, known: dict[int, str]) -> bool:
    if response.status_code != 200:
        return False
    answer = response.json()
    if kind == "new":
        return bool(answer["decision"] == "created")
    return bool(answer["decision"] == "linked" and answer["customer_id"] == known[i])


def _quantiles(values: list[float]) -> str:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return (
        f"n={len(values):>5}  p50 {cuts[49]:6.2f}  p90 {cuts[89]:6.2f}  p99 {cuts[98]:6.2f}  "
        f"max {max(values):7.2f} ms"
    )


def report(title: str, latencies: dict[str, list[float]], wrong: int, seconds: float) -> None:
    """Print quantiles per kind and overall."""
    everything = [v for values in latencies.values() for v in values]
    print(f"{title}: {len(everything) / seconds:,.0f} requests/s, {wrong} wrong answers")
    for kind, _ in KINDS:
        if latencies.get(kind):
            print(f"  {kind:12} {_quantiles(latencies[kind])}")
    print(f"  {'all':12} {_quantiles(everything)}", flush=True)


async def concurrent(
    make_client: Callable[[], httpx.AsyncClient],
    probes: list[tuple[str, int, dict[str, Any]]],
    known: dict[int, str],
    clients: int,
) -> tuple[dict[str, list[float]], int, float]:
    """The probes spread over ``clients`` concurrent callers."""
    shares = [probes[n::clients] for n in range(clients)]
    started = time.perf_counter()

    async def one(
        share: list[tuple[str, int, dict[str, Any]]],
    ) -> tuple[dict[str, list[float]], int]:
        async with make_client() as http:
            return await probe(http, share, known)

    results = await asyncio.gather(*(one(share) for share in shares))
    seconds = time.perf_counter() - started
    merged: dict[str, list[float]] = defaultdict(list)
    for latencies, _ in results:
        for kind, values in latencies.items():
            merged[kind] += values
    return merged, sum(w for _, w in results), seconds


async def describe(url: str) -> None:
    """Print which PostgreSQL server and configuration the figures come from."""
    names = ("server_version", "shared_buffers", "effective_cache_size", "work_mem", "jit")
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            shown = [f"{n}={(await connection.execute(text(f'SHOW {n}'))).scalar()}" for n in names]
    finally:
        await engine.dispose()
    print(f"server: {url.rsplit('/', 1)[0]}  {' '.join(shown)}", flush=True)


async def run(
    customers: int, requests: int, clients: int, through_api: int, *, server: str = PG_SERVER
) -> None:
    """Load, analyze, probe sequentially, then concurrently."""
    probes = plan(customers, requests + WARM_UP, seed=11, first_new=customers)
    later = plan(customers, requests, seed=12, first_new=customers + requests + WARM_UP)
    watch = {i for kind, i, _ in probes + later if kind != "new"}
    token = mint_token(AuthSettings(), subject="bench", scopes=["admin"])
    headers = {"Authorization": f"Bearer {token}"}
    async with scratch_database("idic_bench_latency", server=server) as url:
        await describe(url)
        await migrate("identity", url)
        with service_process(url) as base:

            def make_client() -> httpx.AsyncClient:
                return httpx.AsyncClient(base_url=base, headers=headers, timeout=600)

            async with make_client() as http:
                first = min(through_api, customers)
                seconds = await load_through_api(http, first)
                print(f"load: {first:,} customers through the batch API in {seconds:.0f} s")
                if customers > first:
                    started = time.perf_counter()
                    await bulk_load(url, first, customers)
                    seconds = time.perf_counter() - started
                    print(f"load: {customers - first:,} more by the bulk path in {seconds:.0f} s")
                await analyze(url)
                known = await customer_ids(url, watch)
                freeze_startup_heap()  # the client's own collections stay out of the figures
                await probe(http, probes[:WARM_UP], known)
                web = await baselines.healthz(http)
                started = time.perf_counter()
                latencies, wrong = await probe(http, probes[WARM_UP:], known)
                report("sequential", latencies, wrong, time.perf_counter() - started)
                everything = [v for values in latencies.values() for v in values]
                baselines.report(everything, web, await baselines.select_one(url))
            latencies, wrong, seconds = await concurrent(make_client, later, known, clients)
            report(f"{clients} concurrent clients", latencies, wrong, seconds)


async def analyze(url: str) -> None:
    """``VACUUM ANALYZE`` every table (planner statistics after a bulk load)."""
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    started = time.perf_counter()
    try:
        async with engine.connect() as connection:
            await connection.execute(text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()
    print(f"vacuum analyze: {time.perf_counter() - started:.0f} s")


def main() -> None:
    """Parse the command line and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument(
        "--through-api",
        type=int,
        default=BATCH * 5,
        help="customers loaded through the batch endpoint; the rest by the bulk path",
    )
    parser.add_argument(
        "--private-server",
        metavar="SETTINGS",
        help="a PostgreSQL cluster of the bench's own with these comma-separated settings, "
        "e.g. shared_buffers=2GB (the shared server is never reconfigured)",
    )
    args = parser.parse_args()
    sizes = (args.customers, args.requests, args.clients, args.through_api)
    if not args.private_server:
        asyncio.run(run(*sizes))
        return
    settings = dict(item.split("=", 1) for item in args.private_server.split(","))
    with private_server(settings) as server:
        asyncio.run(run(*sizes, server=server))


if __name__ == "__main__":
    main()
