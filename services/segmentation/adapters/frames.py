"""Valuation inputs as polars frames: from profiles in memory, or the whole population at once.

On PostgreSQL the population is read with ``COPY ... TO STDOUT`` as CSV and parsed by polars,
several times faster than fetching rows through the driver; SQLite goes through SQLAlchemy.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import polars as pl
from sqlalchemy import String, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.segmentation.adapters.binary_copy import copy_numbers
from services.segmentation.adapters.orm import activity_day, customer_profile, customer_value
from services.segmentation.adapters.repositories import VALUE_COLUMNS
from services.segmentation.adapters.sql import driver
from services.segmentation.domain.activity import WINDOW_COLUMNS
from services.segmentation.domain.profile import Profile
from shared.db.arrays import is_postgres

_BALANCES = ("deposits", "investments", "loans_outstanding", "financial_assets")
_INTS = ("tenure_start_day", "first_day", "last_day", "first_activity_day", "active_days")
_STRINGS = ("customer_id", "kind", "home_branch", "stage", "products", "product_kinds")

INPUT_SCHEMA: dict[str, pl.DataType] = {
    **{c: pl.String() for c in _STRINGS},
    **{c: pl.Int64() for c in (*_INTS, "windows_on")},
    "first_day_amount": pl.Float64(),
    **{c: pl.Float64() for c in (*WINDOW_COLUMNS, *_BALANCES)},
    **{c: pl.String() for c in VALUE_COLUMNS},
}


def inputs_from_profiles(
    profiles: Iterable[Profile],
    stored: Mapping[str, Mapping[str, Any]],
    *,
    sums: Collection[str] = WINDOW_COLUMNS,
) -> pl.DataFrame:
    """Valuation inputs of profiles held in memory, with their published values.

    ``sums`` names the window sums to include (`domain.needs`); the others are left out.
    """
    ps = list(profiles)
    columns: dict[str, list[Any]] = {
        name: [getattr(p, name) for p in ps] for name in (*_STRINGS, *_INTS[1:])
    }
    kept = [name for name in WINDOW_COLUMNS if name in sums]
    columns.update({name: [p.sums[name] for p in ps] for name in kept})
    columns["tenure_start_day"] = [p.start_day() for p in ps]
    columns["windows_on"] = [p.windows_on for p in ps]
    columns["first_day_amount"] = [p.first_day_amount for p in ps]
    for name in _BALANCES:
        columns[name] = [None if p.balances is None else getattr(p.balances, name) for p in ps]
    empty: Mapping[str, Any] = {}
    for name in VALUE_COLUMNS:
        columns[name] = [stored.get(p.customer_id, empty).get(name) for p in ps]
    schema = {name: dtype for name, dtype in INPUT_SCHEMA.items() if name in columns}
    return pl.DataFrame(columns, schema=schema)


def _population_query() -> Any:
    p, v = customer_profile, customer_value
    profile_columns = [
        p.c.relationship_start_day.label("tenure_start_day")
        if name == "tenure_start_day"
        else p.c[name]
        for name in INPUT_SCHEMA
        if name not in VALUE_COLUMNS
    ]
    value_columns = [v.c[name] for name in VALUE_COLUMNS]
    return (
        select(*profile_columns, *value_columns)
        .select_from(p.outerjoin(v, v.c.customer_id == p.c.customer_id))
        .order_by(p.c.customer_id)
    )


_TEXTS = [n for n, t in INPUT_SCHEMA.items() if t == pl.String() and n not in VALUE_COLUMNS]
_NUMBERS: dict[str, Any] = {
    name: customer_profile.c.relationship_start_day
    if name == "tenure_start_day"
    else customer_profile.c[name]
    for name, dtype in INPUT_SCHEMA.items()
    if dtype != pl.String()
}
_VALUES: dict[str, pl.DataType] = {
    "customer_id": pl.String(),
    **{n: pl.String() for n in VALUE_COLUMNS},
}
_ESTIMATE = text("SELECT reltuples FROM pg_class WHERE oid = 'customer_profile'::regclass")
_SPLIT_FROM = 100_000  # profiles; below, one backend reads the numbers in well under a second


async def read_population(
    session: AsyncSession,
    *,
    sides: Sequence[AsyncSession] = (),
    versions: bool = False,
    sums: Collection[str] | None = None,
) -> pl.DataFrame:
    """Valuation inputs of every customer, in id order.

    On PostgreSQL the profile texts (CSV), the profile numbers (binary) and the published values
    are copied out and joined here. Given three ``sides`` (other connections) the reads run
    concurrently, the numbers, most of the server's work, in two halves split at the middle id,
    so that a backend on each core formats them. With ``versions``, a ``version`` column holds
    each profile row's version (PostgreSQL's ``xmin``), to tell later whether it changed. Given
    ``sums``, only those of the window sums are read (PostgreSQL).
    """
    if not is_postgres(session):
        return await copy_or_fetch(session, _population_query(), INPUT_SCHEMA)
    numbers = {
        name: column
        for name, column in _NUMBERS.items()
        if sums is None or name not in WINDOW_COLUMNS or name in sums
    }
    if len(sides) < 3:
        strings, values = await _texts(session, versions), await _values(session)
        read = await _numbers(session, numbers)
    else:
        strings, values, read = await asyncio.gather(
            _texts(sides[0], versions),
            _values(sides[1]),
            _split_numbers(session, sides[2], numbers),
        )
    joined = strings.hstack(read).join(values, on="customer_id", how="left")
    return joined.select(
        *(pl.col(name).cast(dtype) for name, dtype in INPUT_SCHEMA.items() if name in joined),
        *((VERSION,) if versions else ()),
    )


VERSION = "version"
XMIN = literal_column(f"{customer_profile.name}.xmin::text", String())  # a profile row's version


async def _texts(session: AsyncSession, versions: bool = False) -> pl.DataFrame:
    p = customer_profile
    extra = [XMIN.label(VERSION)] if versions else []
    query = select(*(p.c[n] for n in _TEXTS), *extra).order_by(p.c.customer_id)
    schema = {n: INPUT_SCHEMA[n] for n in _TEXTS} | ({VERSION: pl.String()} if versions else {})
    return await _copy_out(session, query, schema)


async def read_versions(session: AsyncSession) -> pl.DataFrame:
    """Every profile's id and row version now (PostgreSQL)."""
    query = select(customer_profile.c.customer_id, XMIN.label(VERSION))
    return await _copy_out(session, query, {"customer_id": pl.String(), VERSION: pl.String()})


async def _values(session: AsyncSession) -> pl.DataFrame:
    v = customer_value
    query = select(v.c.customer_id, *(v.c[n] for n in VALUE_COLUMNS)).order_by(v.c.customer_id)
    return await _copy_out(session, query, _VALUES)


async def _numbers(
    session: AsyncSession, numbers: dict[str, Any], where: Any = None
) -> pl.DataFrame:
    p = customer_profile
    return await copy_numbers(session, numbers, source=p, order_by=p.c.customer_id, where=where)


async def _split_numbers(
    session: AsyncSession, side: AsyncSession, numbers: dict[str, Any]
) -> pl.DataFrame:
    """The numbers read in two halves at once, on ``session`` and ``side``."""
    middle = await _middle_id(session)
    if middle is None:
        return await _numbers(session, numbers)
    key = customer_profile.c.customer_id
    halves = await asyncio.gather(
        _numbers(session, numbers, key < middle), _numbers(side, numbers, key >= middle)
    )
    return pl.concat(halves)


async def _middle_id(session: AsyncSession) -> str | None:
    """The id in the middle of the profiles (by the planner's row estimate), if worth a split."""
    p = customer_profile
    estimate = await session.scalar(_ESTIMATE)
    if not estimate or estimate < _SPLIT_FROM:
        return None
    query = select(p.c.customer_id).order_by(p.c.customer_id).offset(int(estimate) // 2).limit(1)
    return await session.scalar(query)


async def copy_or_fetch(
    session: AsyncSession, query: Any, schema: dict[str, pl.DataType]
) -> pl.DataFrame:
    """The rows of ``query`` as a frame of ``schema`` (COPY on PostgreSQL)."""
    if is_postgres(session):
        return await _copy_out(session, query, schema)
    rows = (await session.execute(query)).all()
    return pl.DataFrame([tuple(r) for r in rows], schema=schema, orient="row")


async def _copy_out(
    session: AsyncSession, query: Any, schema: dict[str, pl.DataType]
) -> pl.DataFrame:
    """Run ``query`` through ``COPY (...) TO STDOUT`` and parse the CSV with polars."""
    raw = await driver(session)
    connection = await session.connection()
    sql = str(query.compile(connection.sync_connection, compile_kwargs={"literal_binds": True}))
    buffer = io.BytesIO()

    async def sink(chunk: bytes) -> None:
        buffer.write(chunk)

    await raw.copy_from_query(sql, output=sink, format="csv", header=True)
    buffer.seek(0)
    return pl.read_csv(buffer, schema=schema)


async def read_purchase_days(session: AsyncSession) -> pl.DataFrame:
    """Every (customer, day) with a transaction and the day's amount: what CLV is fitted on."""
    query = (
        select(activity_day.c.customer_id, activity_day.c.day, activity_day.c.txn_amount)
        .where(activity_day.c.txn_count > 0)
        .order_by(activity_day.c.customer_id, activity_day.c.day)
    )
    schema: dict[str, pl.DataType] = {
        "customer_id": pl.String(),
        "day": pl.Int64(),
        "txn_amount": pl.Float64(),
    }
    return await copy_or_fetch(session, query, schema)
