"""Whole-population reads and writes of the recompute: rolling windows, memberships."""

from __future__ import annotations

import polars as pl
from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.segmentation.adapters.bulk import update_frame
from services.segmentation.adapters.frames import copy_or_fetch, read_population
from services.segmentation.adapters.orm import activity_day, customer_profile, segment_member
from services.segmentation.domain.activity import (
    ALL,
    DAY_FIELDS,
    WINDOW_COLUMNS,
    WINDOW_DAYS,
    roll_deltas,
)

MEMBER_SCHEMA: dict[str, pl.DataType] = {"segment_id": pl.String(), "customer_id": pl.String()}


async def current_population(
    session: AsyncSession, *, today: int, rolled_on: int | None, persist: bool
) -> tuple[pl.DataFrame, int]:
    """Valuation inputs of every customer with window sums valid today, and how many moved.

    With ``persist`` the rolled sums are written back (the recompute, under the exclusive
    lock); otherwise they are only applied to the frame read (previews).
    """
    rolled = await rolled_sums(session, today=today, rolled_on=rolled_on)
    if persist:
        await update_frame(session, customer_profile, rolled, key="customer_id")
    inputs = await read_population(session)
    if not rolled.is_empty():
        inputs = inputs.update(rolled, on="customer_id")
    return inputs, rolled.height


_ROLLING = [c for c in WINDOW_COLUMNS if not c.endswith(f"_{ALL}")]
_NONE = pl.DataFrame(schema={"customer_id": pl.String})


async def rolled_sums(session: AsyncSession, *, today: int, rolled_on: int | None) -> pl.DataFrame:
    """Window sums, valid today, of the customers whose sums changed since they were valid.

    Only customers with buckets on the days that left or entered a window since then change;
    every other customer's sums are valid today as they stand.
    """
    start = rolled_on
    if start is None:
        start = await session.scalar(select(func.min(customer_profile.c.windows_on)))
    if start is None or start >= today:
        return _NONE
    buckets = await _band_buckets(session, start=start, today=today)
    if buckets.is_empty():
        return _NONE
    deltas = roll_deltas(buckets, rolled_on=rolled_on, today=today)
    current = buckets.select("customer_id", *(f"now_{c}" for c in _ROLLING)).unique("customer_id")
    return current.join(deltas, on="customer_id").select(
        "customer_id",
        *((pl.col(f"now_{c}") + pl.col(c)).alias(c) for c in _ROLLING),
        pl.lit(today, dtype=pl.Int64).alias("windows_on"),
    )


async def _band_buckets(session: AsyncSession, *, start: int, today: int) -> pl.DataFrame:
    """Buckets on days that left or entered a window since ``start``, with their customer's
    ``windows_on`` and current sums (``now_*``), for customers not rolled to today yet."""
    p, b = customer_profile, activity_day
    bands = [(start - n, today - n) for n in WINDOW_DAYS.values()] + [(start, today)]
    query = (
        select(
            b.c.customer_id,
            b.c.day,
            *(b.c[f] for f in DAY_FIELDS),
            p.c.windows_on,
            *(p.c[c].label(f"now_{c}") for c in _ROLLING),
        )
        .join(p, p.c.customer_id == b.c.customer_id)
        .where(
            p.c.windows_on < today, or_(*(and_(b.c.day > lo, b.c.day <= hi) for lo, hi in bands))
        )
    )
    schema: dict[str, pl.DataType] = {
        "customer_id": pl.String(),
        "day": pl.Int64(),
        **{f: pl.Float64() for f in DAY_FIELDS},
        "windows_on": pl.Int64(),
        **{f"now_{c}": pl.Float64() for c in _ROLLING},
    }
    return await copy_or_fetch(session, query, schema)


async def read_memberships(session: AsyncSession) -> pl.DataFrame:
    """Every (segment_id, customer_id) membership."""
    t = segment_member
    query = select(t.c.segment_id, t.c.customer_id)
    return await copy_or_fetch(session, query, MEMBER_SCHEMA)
