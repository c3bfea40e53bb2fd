"""Windows slide with time: the recompute rolls every customer, folding rolls those it touches."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from services.segmentation.adapters.orm import customer_profile, population_figures
from services.segmentation.bootstrap import bootstrap
from services.segmentation.domain.activity import epoch_day
from services.segmentation.events import SUBSCRIPTIONS
from services.segmentation.handlers.customers import customer_value
from services.segmentation.handlers.recompute import recompute, store_roll
from services.segmentation.worker import recompute_once, run_periodic_recompute
from tests.integration.segmentation.kit import customer_id, transaction
from tests.support import eventually, migrate, settings_for

T0 = dt.datetime(2026, 1, 10, 12, tzinfo=dt.UTC)


class Clock:
    """A settable clock."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


async def fold(container: Any, *events: Any) -> None:
    async with container.uow() as uow:
        for event in events:
            for handler in SUBSCRIPTIONS[event.event_type]:
                await handler(event, uow=uow)
        await uow.commit()


async def window_counts(container: Any, customer: str) -> dict[str, float]:
    async with container.uow() as uow:
        view = await customer_value(customer, uow=uow)
    return {w: view.windows[w]["txn_count"] for w in ("30d", "90d", "365d", "all")}


@pytest.fixture
async def clocked(fresh_database: str) -> Any:
    await migrate("segmentation", fresh_database)
    clock = Clock(T0)
    container = bootstrap(settings_for("segmentation", database_url=fresh_database), clock=clock)
    yield container, clock
    await container.runtime.close()


async def test_a_recompute_rolls_windows_that_no_event_touched(clocked: Any) -> None:
    container, clock = clocked
    idle, busy = customer_id("idle"), customer_id("busy")
    await fold(
        container,
        transaction(idle, 10.0, occurred_at=T0 - dt.timedelta(days=10)),
        transaction(busy, 10.0, occurred_at=T0 - dt.timedelta(days=10)),
    )
    await recompute_once(container)

    clock.now = T0 + dt.timedelta(days=100)
    await fold(container, transaction(busy, 5.0, occurred_at=clock.now))  # rolled by folding
    await recompute_once(container)  # rolls the idle one

    assert await window_counts(container, idle) == {"30d": 0, "90d": 0, "365d": 1, "all": 1}
    assert await window_counts(container, busy) == {"30d": 1, "90d": 1, "365d": 2, "all": 2}
    async with container.runtime.sessions() as session:
        stored = await session.scalar(
            select(customer_profile.c.txn_count_90d).where(customer_profile.c.customer_id == idle)
        )
    assert stored == 0  # persisted, not only computed on read

    clock.now = T0 + dt.timedelta(days=400)  # 410 and 300 days after the two transactions
    await recompute_once(container)
    assert await window_counts(container, busy) == {"30d": 0, "90d": 0, "365d": 1, "all": 2}


async def test_rolled_sums_are_written_after_the_commit_but_not_over_a_fold(clocked: Any) -> None:
    container, clock = clocked
    idle, busy = customer_id("idle"), customer_id("busy")
    before = T0 - dt.timedelta(days=10)
    await fold(container, transaction(idle, 10.0, occurred_at=before))
    await fold(container, transaction(busy, 10.0, occurred_at=before))
    await recompute_once(container)

    clock.now = T0 + dt.timedelta(days=100)
    async with container.uow() as uow:
        report = await recompute(uow=uow)
        await uow.commit()
    assert sorted(report.roll["customer_id"]) == sorted([idle, busy])
    assert await stored_90d(container, idle) == 1  # not written back yet
    async with container.uow() as uow:
        assert await uow.figures.rolled_on() == epoch_day(T0)

    await fold(container, transaction(busy, 5.0, occurred_at=clock.now))  # rolls busy itself
    await store_roll(uow=container.uow(), report=report)

    assert await stored_90d(container, idle) == 0
    assert await window_counts(container, busy) == {"30d": 1, "90d": 1, "365d": 2, "all": 2}
    async with container.uow() as uow:
        assert await uow.figures.rolled_on() == epoch_day(clock.now)


async def stored_90d(container: Any, customer: str) -> float:
    p = customer_profile
    async with container.runtime.sessions() as session:
        query = select(p.c.txn_count_90d).where(p.c.customer_id == customer)
        return float(await session.scalar(query) or 0)


async def test_the_worker_recomputes_periodically(clocked: Any) -> None:
    container, clock = clocked
    await fold(container, transaction(customer_id(), 1.0, occurred_at=T0))
    stop = asyncio.Event()
    task = asyncio.create_task(run_periodic_recompute(container, stop, every_s=0.05))

    async def recomputed_twice() -> bool:
        async with container.runtime.sessions() as session:
            first = await session.scalar(select(population_figures.c.computed_at))
        clock.now += dt.timedelta(hours=1)
        await asyncio.sleep(0.2)
        async with container.runtime.sessions() as session:
            second = await session.scalar(select(population_figures.c.computed_at))
        return first is not None and second is not None and second > first

    try:
        await eventually(recomputed_twice)
    finally:
        stop.set()
        await task
