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
import io
import json
import random
import time
import uuid
from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Integer, case, cast, func, select

from bench.bench_recompute_domain import SEGMENTS, synthetic_customers
from bench.bench_recompute_domain import recompute as domain_recompute
from bench.pg import PG_SERVER, private_server, scratch_database
from services.segmentation.adapters.orm import activity_day, clv_model, customer_profile, messaging
from services.segmentation.adapters.sql import driver
from services.segmentation.bootstrap import Container, bootstrap
from services.segmentation.domain.activity import DAY_FIELDS, WINDOW_COLUMNS, epoch_day
from services.segmentation.events import SUBSCRIPTIONS
from services.segmentation.handlers.recompute import recompute_and_store
from services.segmentation.handlers.recompute_report import RecomputeReport
from services.segmentation.handlers.segments import CreateSegment, create_segment
from shared.contracts import TransactionPosted
from shared.db.outbox_batch import MARKER
from tests.support import migrate, settings_for

TODAY = dt.datetime(2026, 6, 15, 2, tzinfo=dt.UTC)
NEXT_MONTH = dt.datetime(2026, 7, 1, 2, tzinfo=dt.UTC)
STAGES = ("development", "growth", "maturity", "decline")


class Clock:
    """The recompute's notion of now, moved by the benchmark."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def profiles(n: int, today: int, seed: int = 5) -> pl.DataFrame:
    """Synthetic ``customer_profile`` rows with consistent windows and balances."""
    rng = np.random.default_rng(seed)
    active = rng.random(n) < 0.85
    count_all = np.where(active, rng.negative_binomial(2, 0.08, n) + 1, 0)
    first = today - rng.integers(0, 1500, n)
    last = np.where(active, np.minimum(today, first + rng.integers(0, 1500, n)), first)
    counts = {"all": count_all}
    for window, share in (("365d", 0.35), ("90d", 0.3), ("30d", 0.35)):
        parent = counts["all" if window == "365d" else ("365d" if window == "90d" else "90d")]
        counts[window] = rng.binomial(parent, share)
    frame: dict[str, Any] = {"customer_id": [f"c{i:08d}" for i in range(n)]}
    for column in WINDOW_COLUMNS:
        frame[column] = np.zeros(n)
    mean_spend = rng.lognormal(5.5, 1.0, n)
    for window, count in counts.items():
        frame[f"txn_count_{window}"] = count.astype(np.float64)
        frame[f"txn_amount_{window}"] = count * mean_spend
        frame[f"fee_income_{window}"] = count * rng.gamma(0.5, 6.0, n)
        frame[f"cost_to_serve_{window}"] = count * 1.2
    deposits = rng.lognormal(10.5, 1.7, n)
    loans = np.where(rng.random(n) < 0.25, rng.lognormal(12, 1, n), 0.0)
    investments = np.where(rng.random(n) < 0.3, rng.lognormal(12, 1.8, n), 0.0)
    frame["deposit_delta_all"], frame["loan_delta_all"] = deposits, loans
    frame["deposit_moment_all"], frame["loan_moment_all"] = deposits * first, loans * first
    stage = rng.integers(-1, len(STAGES), n)
    frame.update(
        kind=np.where(rng.random(n) < 0.9, "person", "organization"),
        home_branch=[f"b{b:04d}" for b in rng.integers(0, 3000, n)],
        stage=[STAGES[s] if s >= 0 else None for s in stage],
        first_seen_at=TODAY - dt.timedelta(days=30),
        relationship_start_day=first,
        updated_at=TODAY,
        first_day=first,
        last_day=last,
        first_day_amount=np.where(active, mean_spend, 0.0),
        active_days=np.maximum(count_all * 0.8, np.minimum(count_all, 1)).astype(np.int64),
        first_activity_day=first,
        windows_on=today,
        balance_as_of=(TODAY - dt.timedelta(days=3)).date(),
        deposits=deposits,
        investments=investments,
        loans_outstanding=loans,
        financial_assets=deposits + investments,
        products=np.where(rng.random(n) < 0.4, "credit_card,current_account", "current_account"),
        product_kinds=np.where(rng.random(n) < 0.4, "card,deposit", "deposit"),
    )
    never = ~pl.Series(active)
    return pl.DataFrame(frame).with_columns(
        pl.when(never).then(None).otherwise(pl.col("first_day")).alias("first_day"),
        pl.when(never).then(None).otherwise(pl.col("last_day")).alias("last_day"),
    )


def edge_buckets(n: int, today: int, seed: int = 6) -> pl.DataFrame:
    """A day's buckets on each window's edge for 2 % of customers: what tomorrow's roll moves."""
    rng = np.random.default_rng(seed)
    rows = []
    for day in (today + 1 - 30, today + 1 - 90, today + 1 - 365, today + 1):
        ids = rng.choice(n, size=n // 50, replace=False)
        rows.append(
            pl.DataFrame(
                {
                    "customer_id": [f"c{i:08d}" for i in ids],
                    "day": day,
                    "txn_count": 1,
                    **{f: 0.0 for f in DAY_FIELDS if f != "txn_count"},
                    "txn_amount": rng.lognormal(5, 1, ids.size),
                }
            )
        )
    return pl.concat(rows).unique(["customer_id", "day"])


async def copy_frame(container: Container, table: str, frame: pl.DataFrame) -> None:
    """Bulk-load a frame with ``COPY``."""
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False)
    buffer.seek(0)
    async with container.uow() as uow:
        raw = await driver(uow.session)
        await raw.copy_to_table(table, source=buffer, columns=frame.columns, format="csv")
        await uow.commit()


async def load(container: Container, n: int) -> None:
    """Profiles, edge buckets, a CLV model and five segments into the database."""
    today = epoch_day(TODAY)
    await copy_frame(container, customer_profile.name, profiles(n, today))
    await copy_frame(container, activity_day.name, edge_buckets(n, today))
    async with container.uow() as uow:
        await uow.session.execute(
            clv_model.insert().values(
                version="bench",
                fitted_at=TODAY,
                fitted_by="bench",
                time_unit="week",
                customers=n,
                bgnbd=json.dumps(
                    {
                        "r": 0.243,
                        "alpha": 4.414,
                        "a": 0.793,
                        "b": 2.426,
                        "log_likelihood": 0.0,
                        "n_customers": n,
                        "time_unit": "week",
                    }
                ),
                gamma_gamma=json.dumps(
                    {"p": 6.25, "q": 3.74, "gamma": 15.44, "log_likelihood": 0.0, "n_customers": n}
                ),
            )
        )
        await uow.commit()
    ids: dict[str, str] = {}
    for name, condition in SEGMENTS.items():
        text = json.dumps(condition)
        for other, segment_id in ids.items():  # the domain bench refers to segments by name
            text = text.replace(f'"segment": "{other}"', f'"segment": "{segment_id}"')
        async with container.uow() as uow:
            view = await create_segment(CreateSegment(name, "", json.loads(text), "bench"), uow=uow)
            await uow.commit()
        ids[name] = view.segment.id


async def vacuum(container: Container) -> None:
    """What autovacuum does between two recomputes a day apart: statistics, visibility map."""
    engine = container.runtime.engine.execution_options(isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.exec_driver_sql("VACUUM (ANALYZE)")


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
