"""Baselines across months: *migrator* compares with the classification at the start of the
month, and a month's first recompute writes only the values that changed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bench.segmentation_population import TODAY, Clock, load
from services.segmentation.adapters.orm import customer_profile, customer_value
from services.segmentation.bootstrap import bootstrap
from tests.integration.segmentation.test_first_valuation import recompute_now
from tests.support import migrate, settings_for

pytestmark = pytest.mark.xdist_group("segmentation")


async def test_a_tier_change_makes_a_migrator_until_the_next_month(fresh_database: str) -> None:
    await migrate("segmentation", fresh_database)
    clock = Clock(TODAY)  # 2026-06-15
    container = bootstrap(settings_for("segmentation", database_url=fresh_database), clock=clock)
    try:
        await load(container, 300)
        await recompute_now(container)
        mover = await a_mass_customer(container)

        await make_rich(container, mover)
        clock.now = dt.datetime(2026, 7, 2, 2, tzinfo=dt.UTC)
        july = await recompute_now(container)
        assert await value(container, mover) == (
            "private_banking", "mass", "2026-07", True,
        )  # fmt: skip
        # the month's first recompute wrote the values that changed, and only those
        assert await written_in(container, "2026-07") == july.value_changes < 300

        clock.now += dt.timedelta(days=1)
        await recompute_now(container)
        assert await value(container, mover) == ("private_banking", "mass", "2026-07", True)

        clock.now = dt.datetime(2026, 8, 1, 2, tzinfo=dt.UTC)
        await recompute_now(container)
        assert await value(container, mover) == (
            "private_banking", "private_banking", "2026-08", False,
        )  # fmt: skip
    finally:
        await container.runtime.close()


async def a_mass_customer(container: Any) -> str:
    v = customer_value
    async with container.runtime.sessions() as session:
        query = select(v.c.customer_id).where(v.c.tier == "mass", v.c.categories == "")
        return str(await session.scalar(query.order_by(v.c.customer_id).limit(1)))


async def make_rich(container: Any, customer: str) -> None:
    p = customer_profile
    async with container.runtime.sessions() as session:
        await session.execute(
            update(p)
            .where(p.c.customer_id == customer)
            .values(deposits=7_000_000.0, financial_assets=7_000_000.0)
        )
        await session.commit()


async def value(container: Any, customer: str) -> tuple[str, str, str, bool]:
    """Tier, baseline tier, baseline period and whether the customer is a migrator."""
    v = customer_value
    query = select(v.c.tier, v.c.baseline_tier, v.c.baseline_period, v.c.categories)
    async with container.runtime.sessions() as session:
        row = (await session.execute(query.where(v.c.customer_id == customer))).one()
    return row[0], row[1], row[2], "migrator" in row[3].split(",")


async def written_in(container: Any, period: str) -> int:
    v = customer_value
    async with container.runtime.sessions() as session:
        query = select(func.count()).where(v.c.baseline_period == period)
        return int(await session.scalar(query) or 0)
