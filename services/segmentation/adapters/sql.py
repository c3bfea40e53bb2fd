"""Small SQL helpers that hide the differences between PostgreSQL and SQLite."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Table, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

# One lock serializes the full recompute (exclusive) against folding and segment writes (shared).
_VALUATION_LOCK = 7_310_431_338


def is_postgres(session: AsyncSession) -> bool:
    """Whether the session talks to PostgreSQL."""
    return session.get_bind().dialect.name == "postgresql"


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
    dialect = postgresql if is_postgres(session) else sqlite
    statement = dialect.insert(table)
    added = set(add)
    updates = {
        name: (table.c[name] + statement.excluded[name])
        if name in added
        else statement.excluded[name]
        for name in rows[0]
        if name not in keys
    }
    if updates:
        statement = statement.on_conflict_do_update(index_elements=list(keys), set_=updates)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    await session.execute(statement, list(rows))


def chunks(items: Sequence[T], size: int = 5000) -> Iterable[Sequence[T]]:
    """``items`` in slices of at most ``size`` (bounded IN lists)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
