"""Small SQL helpers that hide the differences between PostgreSQL and SQLite."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Table, bindparam, func, select, text, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.arrays import is_postgres

T = TypeVar("T")

# One lock serializes the full recompute (exclusive) against folding and segment writes (shared).
_VALUATION_LOCK = 7_310_431_338


async def driver(session: AsyncSession) -> Any:
    """The session's asyncpg connection, inside the session's transaction.

    SQLAlchemy begins the database transaction lazily, at its first statement; work sent to
    the driver before that would run in autocommit, outside the unit of work. So a trivial
    statement goes first, once per session.
    """
    if not session.info.get("transaction_begun"):
        await session.execute(text("SELECT 1"))
        session.info["transaction_begun"] = True
    connection = await session.connection()
    return (await connection.get_raw_connection()).driver_connection


async def hold_valuation_lock(session: AsyncSession, *, exclusive: bool) -> None:
    """Take the transaction-scoped valuation lock (PostgreSQL; SQLite serializes writers)."""
    if not is_postgres(session):
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    await session.execute(text(f"SELECT {function}(:k)"), {"k": _VALUATION_LOCK})


async def upsert(
    session: AsyncSession,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    keys: Sequence[str],
    add: Iterable[str] = (),
) -> None:
    """Insert ``rows``; on a key conflict overwrite the other columns (or add, for ``add``)."""
    if not rows:
        return
    columns = tuple(rows[0])
    pick = itemgetter(*columns)
    records = [pick(row) for row in rows] if len(columns) > 1 else [(pick(r),) for r in rows]
    await upsert_records(session, table, columns, records, keys=keys, add=add)


async def upsert_records(
    session: AsyncSession,
    table: Table,
    columns: Sequence[str],
    records: Sequence[Sequence[Any]],
    *,
    keys: Sequence[str],
    add: Iterable[str] = (),
) -> None:
    """`upsert` for rows given as value tuples in ``columns`` order (no dict per row)."""
    if not records:
        return
    if is_postgres(session):
        await _staged_upsert(session, table, columns, records, keys=keys, add=set(add))
        return
    statement = sqlite.insert(table)
    added = set(add)
    updates = {
        name: (table.c[name] + statement.excluded[name])
        if name in added
        else statement.excluded[name]
        for name in columns
        if name not in keys
    }
    if updates:
        statement = statement.on_conflict_do_update(index_elements=list(keys), set_=updates)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    await session.execute(statement, [dict(zip(columns, r, strict=True)) for r in records])


async def _staged_upsert(
    session: AsyncSession,
    table: Table,
    columns: Sequence[str],
    records: Sequence[Sequence[Any]],
    *,
    keys: Sequence[str],
    add: set[str],
) -> None:
    """PostgreSQL: ``COPY`` the rows into a staging table, then one ``INSERT ... SELECT``.

    Binary COPY costs a few microseconds per row where a multi-row VALUES list or arrays cost
    tens. The staging table is temporary (per connection), emptied after each use.
    """
    names = ", ".join(f'"{c}"' for c in columns)
    stage = f"stage_{table.name}_{zlib.crc32(names.encode()):08x}"
    sets = ", ".join(
        f'"{c}" = "{table.name}"."{c}" + excluded."{c}"' if c in add else f'"{c}" = excluded."{c}"'
        for c in columns
        if c not in keys
    )
    conflict = f"DO UPDATE SET {sets}" if sets else "DO NOTHING"
    raw = await driver(session)
    await raw.execute(
        f'CREATE TEMPORARY TABLE IF NOT EXISTS "{stage}" ON COMMIT DELETE ROWS AS '
        f'SELECT {names} FROM "{table.name}" WITH NO DATA'
    )
    await raw.copy_records_to_table(stage, records=records, columns=list(columns))
    await raw.execute(
        f'INSERT INTO "{table.name}" ({names}) SELECT {names} FROM "{stage}" '
        f'ON CONFLICT ({", ".join(keys)}) {conflict}; TRUNCATE "{stage}"'
    )


def pairs_in(
    session: AsyncSession,
    columns: tuple[ColumnElement[Any], ColumnElement[Any]],
    pairs: Sequence[tuple[Any, Any]],
) -> ColumnElement[bool]:
    """``(a, b) IN pairs``; on PostgreSQL against two zipped arrays."""
    if not is_postgres(session):
        return tuple_(*columns).in_(list(pairs))
    arrays = [
        func.unnest(bindparam(None, [p[i] for p in pairs], type_=postgresql.ARRAY(c.type)))
        for i, c in enumerate(columns)
    ]
    return tuple_(*columns).in_(select(*arrays))


def chunks(items: Sequence[T], size: int = 5000) -> Iterable[Sequence[T]]:
    """``items`` in slices of at most ``size`` (bounded IN lists)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
