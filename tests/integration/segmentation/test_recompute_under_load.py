"""Recomputes run while folding goes on, as in production; afterwards every stored figure still
agrees with the buckets and with the events published about it."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections import defaultdict
from typing import Any

import polars as pl
import pytest
from sqlalchemy import select

from services.segmentation.adapters.orm import (
    activity_day,
    customer_profile,
    customer_value,
    messaging,
    segment_member,
)
from services.segmentation.bootstrap import bootstrap
from services.segmentation.handlers.recompute import recompute_and_store
from services.segmentation.handlers.segments import CreateSegment, create_segment
from shared.contracts import SegmentEntered, SegmentExited, ValueChanged
from shared.db.outbox_batch import expand, is_batch
from shared.envelope import decode
from tests.integration.segmentation.kit import balance, customer_id, erased, transaction
from tests.integration.segmentation.test_passing_time import Clock, fold
from tests.support import migrate, settings_for

pytestmark = pytest.mark.xdist_group("segmentation")

START = dt.datetime(2026, 3, 30, 12, tzinfo=dt.UTC)
SEGMENTS = {
    "private": {"field": "tier", "op": "eq", "value": "private_banking"},
    "recent": {"field": "txn_count", "window": "30d", "op": "gt", "value": 0},
}


async def test_recomputes_beside_folding_keep_sums_values_and_events_consistent(
    fresh_database: str,
) -> None:
    await migrate("segmentation", fresh_database)
    clock = Clock(START)
    container = bootstrap(settings_for("segmentation", database_url=fresh_database), clock=clock)
    rng = random.Random(5)
    customers = [customer_id() for _ in range(400)]
    try:
        await fold(container, *history(customers, rng))
        for name, condition in SEGMENTS.items():
            async with container.uow() as uow:
                await create_segment(CreateSegment(name, "", condition, "test"), uow=uow)
                await uow.commit()
        gone: set[str] = set()
        # each time a batch or so is folded between the read and the lock (seen: 40 customers
        # left to folding every time), others wait on the lock and on the rolled sums' chunks
        for day in (1, 2, 31):  # the next day, the day after, and into the next month
            clock.now = START + dt.timedelta(days=day)
            await asyncio.gather(
                recompute_and_store(container.uow()),
                folding(container, clock, customers, gone, rng),
            )
        await recompute_and_store(container.uow())  # a quiet one, to end on

        assert await window_sums_match_buckets(container)
        stored, members = await stored_state(container)
        published, joined = await published_state(container)
        assert not gone & (stored.keys() | {c for _, c in members})
        assert stored == {c: published[c] for c in stored}
        assert members == {pair for pair in joined if pair[1] not in gone}  # erasure is silent
    finally:
        await container.runtime.close()


def history(customers: list[str], rng: random.Random) -> list[Any]:
    """Transactions over the last 400 days and a balance for every customer."""
    events: list[Any] = []
    for customer in customers:
        for _ in range(rng.randrange(0, 8)):
            when = START - dt.timedelta(days=rng.uniform(0, 400))
            events.append(transaction(customer, round(rng.uniform(5, 500), 2), occurred_at=when))
        events.append(balance(customer, round(rng.lognormvariate(12, 1.8), 2), as_of=START.date()))
    return events


async def folding(
    container: Any, clock: Clock, customers: list[str], gone: set[str], rng: random.Random
) -> None:
    """Batches of new transactions, balances that cross tiers and a few erasures."""
    for _ in range(12):
        batch: list[Any] = []
        for customer in rng.sample([c for c in customers if c not in gone], 40):
            if rng.random() < 0.5:
                batch.append(
                    transaction(customer, round(rng.uniform(5, 500), 2), occurred_at=clock.now)
                )
            else:
                assets = rng.choice((50_000.0, 700_000.0, 7_000_000.0))
                batch.append(balance(customer, assets, as_of=clock.now.date()))
        if rng.random() < 0.3:
            victim = rng.choice([c for c in customers if c not in gone])
            gone.add(victim)
            batch = [e for e in batch if e.customer_id != victim] + [erased(victim)]
        await fold(container, *batch)
        await asyncio.sleep(0.05)


async def window_sums_match_buckets(container: Any) -> bool:
    """Every profile's window sums equal its buckets' sums over the windows ending windows_on."""
    p, b = customer_profile, activity_day
    windows = ("30d", "90d", "365d", "all")
    profiles = await frame(
        container,
        select(p.c.customer_id, p.c.windows_on, *(p.c[f"txn_count_{w}"] for w in windows)),
        ["customer_id", "windows_on", *windows],
    )
    buckets = await frame(
        container,
        select(b.c.customer_id, b.c.day, b.c.txn_count),
        ["customer_id", "day", "txn_count"],
    )
    joined = profiles.join(buckets, on="customer_id", how="left")
    age = pl.col("windows_on") - pl.col("day")
    truth = joined.group_by("customer_id").agg(
        *(
            pl.col("txn_count").filter((age >= 0) & (age < n)).sum().alias(f"true_{n}d")
            for n in (30, 90, 365)
        ),
        pl.col("txn_count").sum().alias("true_all"),
        *(pl.col(w).first() for w in ("30d", "90d", "365d", "all")),
    )
    wrong = truth.filter(
        pl.any_horizontal(pl.col(w) != pl.col(f"true_{w}") for w in ("30d", "90d", "365d", "all"))
    )
    assert wrong.is_empty(), wrong.head()
    return True


async def frame(container: Any, query: Any, columns: list[str]) -> pl.DataFrame:
    async with container.runtime.sessions() as session:
        rows = [tuple(r) for r in await session.execute(query)]
    return pl.DataFrame(rows, schema=columns, orient="row")


async def stored_state(container: Any) -> tuple[dict[str, tuple[Any, ...]], set[tuple[str, str]]]:
    v, m = customer_value, segment_member
    values = await frame(
        container,
        select(v.c.customer_id, v.c.tier, v.c.abc_class, v.c.categories),
        ["customer_id", "tier", "abc_class", "categories"],
    )
    members = await frame(
        container, select(m.c.segment_id, m.c.customer_id), ["segment_id", "customer_id"]
    )
    return {r[0]: r[1:] for r in values.rows()}, set(members.rows())


async def published_state(
    container: Any,
) -> tuple[dict[str, tuple[Any, ...]], set[tuple[str, str]]]:
    """The classification and memberships the outbox's events add up to, in their order."""
    outbox = messaging.outbox
    async with container.runtime.sessions() as session:
        rows = (await session.scalars(select(outbox.c.value).order_by(outbox.c.id))).all()
    values: list[str] = []
    for row in rows:
        values += expand(row)["value"].to_list() if is_batch(row) else [row]
    classification: dict[str, tuple[Any, ...]] = {}
    members: dict[tuple[str, str], bool] = defaultdict(bool)
    for value in values:
        event = decode(value.encode())
        data = event.data
        if event.type == ValueChanged.event_type:
            new = data["new"]
            classification[data["customer_id"]] = (
                new["tier"], new["abc_class"], ",".join(new["categories"])
            )  # fmt: skip
        elif event.type in (SegmentEntered.event_type, SegmentExited.event_type):
            pair = (data["segment_id"], data["customer_id"])
            members[pair] = event.type == SegmentEntered.event_type
    return classification, {pair for pair, member in members.items() if member}
