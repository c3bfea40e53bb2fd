"""A synthetic segmentation population in the service's own database, for benchmarks and tests.

Profiles with window sums, balances, stages and products for ``n`` customers, a day's buckets for
those active at the window edges, a CLV model (the published CDNOW parameters) and the domain
benchmark's five rule segments, bulk-copied in.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import numpy as np
import polars as pl

from bench.bench_recompute_domain import SEGMENTS
from services.segmentation.adapters.orm import activity_day, clv_model, customer_profile
from services.segmentation.adapters.sql import driver
from services.segmentation.bootstrap import Container
from services.segmentation.domain.activity import DAY_FIELDS, WINDOW_COLUMNS, epoch_day
from services.segmentation.handlers.segments import CreateSegment, create_segment

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
