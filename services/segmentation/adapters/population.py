"""Whole-population reads and writes of the recompute: rolling windows, memberships."""

from __future__ import annotations

from typing import Any

import polars as pl
from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.segmentation.adapters.bulk import update_frame
from services.segmentation.adapters.frames import VERSION, XMIN, copy_or_fetch, read_population
from services.segmentation.adapters.orm import activity_day, customer_profile, segment_member
from services.segmentation.domain.activity import (
    ALL,
    DAY_FIELDS,
    WINDOW_COLUMNS,
    WINDOW_DAYS,
    roll_deltas,
)
from shared.db.arrays import is_postgres

MEMBER_SCHEMA: dict[str, pl.DataType] = {"segment_id": pl.String(), "customer_id": pl.String()}


async def current_population(
    session: AsyncSession, *, today: int, rolled_on: int | None
) -> tuple[pl.DataFrame, int]:
    """Valuation inputs of every customer with window sums valid today (rolled in the frame
    only, not written back), and how many moved."""
    rolled = await rolled_sums(session, today=today, rolled_on=rolled_on)
    inputs = await read_population(session)
    return with_rolled(inputs, rolled), rolled.height


def with_rolled(inputs: pl.DataFrame, rolled: pl.DataFrame) -> pl.DataFrame:
    """Valuation inputs with the window sums of ``rolled`` in place of those read."""
    if rolled.is_empty():
        return inputs
    return inputs.update(rolled.select(c for c in rolled.columns if c in inputs), on="customer_id")


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
    current = buckets.select("customer_id", *(c for c in _CURRENT if c in buckets.columns))
    current = current.unique("customer_id")
    return current.join(deltas, on="customer_id").select(
        "customer_id",
        *((pl.col(f"now_{c}") + pl.col(c)).alias(c) for c in _ROLLING),
        pl.lit(today, dtype=pl.Int64).alias("windows_on"),
        *((VERSION,) if VERSION in buckets.columns else ()),
    )


_CURRENT = (*(f"now_{c}" for c in _ROLLING), VERSION)


def rolls_later(session: AsyncSession) -> bool:
    """Whether rolled sums can be written after the recompute commits, beside folding: on
    PostgreSQL, where each profile's row version tells whether it was folded since."""
    return is_postgres(session)


async def write_rolled(session: AsyncSession, rolled: pl.DataFrame) -> None:
    """Write rolled window sums back; with versions, only over profiles not folded since (a
    fold rolls the profile it writes)."""
    version = VERSION if VERSION in rolled.columns else None
    await update_frame(session, customer_profile, rolled, key="customer_id", version=version)


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
            *_version(session),
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
        **({VERSION: pl.String()} if rolls_later(session) else {}),
    }
    return await copy_or_fetch(session, query, schema)


def _version(session: AsyncSession) -> list[Any]:
    if not rolls_later(session):
        return []
    return [XMIN.label(VERSION)]


async def read_memberships(session: AsyncSession) -> pl.DataFrame:
    """Every (segment_id, customer_id) membership."""
    t = segment_member
    query = select(t.c.segment_id, t.c.customer_id)
    return await copy_or_fetch(session, query, MEMBER_SCHEMA)
