"""Full recompute of 1,000,000 customers in the segmentation service's own PostgreSQL database.

Run: ``.venv/bin/python -m bench.bench_segmentation_recompute [customers]`` (default 1,000,000;
``--private-server max_wal_size=8GB,...`` on a PostgreSQL cluster of its own with those settings).
Bulk-inserts synthetic profiles (window sums, balances, stages, products), a day's buckets for
the customers active at the window edges, a CLV model and five rule segments into a scratch
database, then times ``handlers.recompute`` (the code behind ``POST /v1/recompute`` and the
worker's periodic run) from its first read to its commit, three times:

* *first valuation*: nobody classified yet, so every customer's classification is written and
  published (1M ``value.changed`` events) and every member enters the segments;
* *next day*: the clock moves one day (windows roll, CLV ages, recency grows); everyone is valued
  again, and only what changed is written and published. Before it (untimed) a ``VACUUM
  (ANALYZE)`` stands for the autovacuum runs of the day in between;
* *first of the next month*: the same, on the day each customer's baseline (what *migrator*
  compares with) becomes their classification at the end of June.

Then, a day later, batches of 100 transactions are folded one after another in the same process
(as the worker folds beside its periodic recompute), first alone, then while a recompute runs:
how long each batch takes to commit shows what the recompute costs folding, its exclusive lock
and its share of the two cores together.

The in-memory domain part alone (``bench.bench_recompute_domain``) is the baseline. Goal: ≤ 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import time
import uuid
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import Integer, case, cast, func, select

from bench.bench_recompute_domain import recompute as domain_recompute
from bench.bench_recompute_domain import synthetic_customers
from bench.pg import PG_SERVER, private_server, scratch_database
from bench.segmentation_population import NEXT_MONTH, TODAY, Clock, load, vacuum
from services.segmentation.adapters.orm import messaging
from services.segmentation.bootstrap import Container, bootstrap
from services.segmentation.events import SUBSCRIPTIONS
from services.segmentation.handlers.recompute import recompute_and_store
from services.segmentation.handlers.recompute_report import RecomputeReport
from shared.contracts import TransactionPosted
from shared.db.outbox_batch import MARKER
from tests.support import migrate, settings_for


async def timed_recompute(container: Container) -> RecomputeReport:
    """One recompute as the worker runs it: committed, then its rolled sums written back."""
    return await recompute_and_store(container.uow())


def show(label: str, report: RecomputeReport, baseline: float) -> None:
    total = report.published_s
    print(
        f"{label}: {total:6.2f} s for {report.customers:,} customers "
        f"({total / baseline:.1f}x the in-memory domain recompute); goal <= 10 s: "
        f"{'met' if total <= 10 else 'NOT met'}"
    )
    print(f"    exclusive lock held {report.exclusive_s:.2f} s (folding waits only then)")
    for step, seconds in report.steps.items():
        print(f"    {step:<14} {seconds:7.3f} s")
    print(
        f"    value changes {report.value_changes:,}, segment entries {report.segment_entries:,}, "
        f"exits {report.segment_exits:,}, profiles rolled {report.rolled_profiles:,}"
    )
    if report.roll.height:
        print(
            f"    then the rolled sums written back beside folding by {report.total_s:.2f} s "
            "(store_roll, outside the exclusive lock)"
        )


async def show_outbox(container: Container) -> None:
    """Outbox rows, the events they carry (a batch row carries many) and their size."""
    outbox = messaging.outbox
    header = func.left(outbox.c.value, 1000)
    events = case(
        (
            func.left(outbox.c.value, len(MARKER)) == MARKER,
            cast(func.substring(header, r'"events":(\d+)'), Integer),
        ),
        else_=1,
    )
    size = func.pg_total_relation_size(outbox.name)
    async with container.runtime.sessions() as session:
        rows, total, volume = (
            await session.execute(select(func.count(), func.sum(events), size))
        ).one()
    print(
        f"outbox after the three runs: {rows:,} rows carrying {total:,} events, "
        f"{volume / 1e6:.0f} MB"
    )


async def folding_beside(container: Container, n: int) -> None:
    """Batches folded alone, then beside a recompute: how long each takes to commit."""
    rng = random.Random(3)
    alone = await probe(container, n, rng, until=None, batches=20)
    recomputing = asyncio.create_task(timed_recompute(container))
    beside = await probe(container, n, rng, until=recomputing)
    report = await recomputing
    print(
        f"folding beside the next recompute ({report.published_s:.2f} s, exclusive lock "
        f"{report.exclusive_s:.2f} s): batches of {PROBE_BATCH} transactions took "
        f"median {np.median(beside):.2f} s, max {max(beside):.2f} s "
        f"({len(beside)} batches; alone: median {np.median(alone):.2f} s, max {max(alone):.2f} s)"
    )


PROBE_BATCH = 100


async def probe(
    container: Container,
    n: int,
    rng: random.Random,
    *,
    until: asyncio.Task[Any] | None,
    batches: int = 10_000,
) -> list[float]:
    """Fold batches of transactions one after another; each one's seconds to its commit."""
    took: list[float] = []
    while len(took) < batches and not (until is not None and until.done()):
        started = time.perf_counter()
        async with container.uow() as uow:
            for _ in range(PROBE_BATCH):
                event = TransactionPosted(
                    transaction_id=uuid.uuid4().hex,
                    customer_id=f"c{rng.randrange(n):08d}",
                    account_id="bench",
                    product="current_account",
                    direction="debit",
                    amount=Decimal("25.00"),
                    channel="mobile_banking",
                    occurred_at=container.clock(),
                )
                for handler in SUBSCRIPTIONS[TransactionPosted.event_type]:
                    await handler(event, uow=uow)
            await uow.commit()
        took.append(time.perf_counter() - started)
        await asyncio.sleep(0.05)
    return took


async def run(n: int, *, server: str = PG_SERVER) -> None:
    data = synthetic_customers(n)
    started = time.perf_counter()
    domain_recompute(data)
    baseline = time.perf_counter() - started
    print(f"baseline: the domain recompute in memory (bench_recompute_domain): {baseline:.2f} s")
    async with scratch_database("idic_bench_recompute", server=server) as url:
        await migrate("segmentation", url)
        clock = Clock(TODAY)
        container = bootstrap(settings_for("segmentation", database_url=url), clock=clock)
        try:
            started = time.perf_counter()
            await load(container, n)
            await vacuum(container)
            print(f"loaded {n:,} synthetic customers in {time.perf_counter() - started:.1f} s")
            report = await timed_recompute(container)
            show("first valuation (everything written and published)", report, baseline)
            await vacuum(container)
            clock.now += dt.timedelta(days=1)
            report = await timed_recompute(container)
            show("next day (everyone valued, changes written)", report, baseline)
            await vacuum(container)
            clock.now = NEXT_MONTH
            report = await timed_recompute(container)
            show("first of the next month (new baselines)", report, baseline)
            await show_outbox(container)
            await vacuum(container)
            clock.now += dt.timedelta(days=1)
            await folding_beside(container, n)
        finally:
            await container.runtime.close()


def main() -> None:
    """Parse the command line and run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("customers", type=int, nargs="?", default=1_000_000)
    parser.add_argument(
        "--private-server",
        metavar="SETTINGS",
        help="a PostgreSQL cluster of the bench's own with these comma-separated settings, "
        "e.g. max_wal_size=8GB (the shared server is never reconfigured)",
    )
    args = parser.parse_args()
    if not args.private_server:
        asyncio.run(run(args.customers))
        return
    settings = dict(item.split("=", 1) for item in args.private_server.split(","))
    with private_server(settings) as server:
        asyncio.run(run(args.customers, server=server))


if __name__ == "__main__":
    main()
