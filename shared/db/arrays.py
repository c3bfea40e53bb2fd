"""Set-valued parameters as PostgreSQL arrays: one bound parameter instead of thousands.

An ``IN (...)`` list renders one placeholder per value, so every batch size is a new statement
for the driver to prepare and the server to plan; ``= ANY($1)`` and ``unnest($1, $2, ...)`` are
one statement whatever the batch size. SQLite has no arrays and gets the plain forms. That one
statement's generic plan follows the table's statistics, though: on a table never analyzed
``= ANY($1)`` may scan the whole table, so look-ups on tables that start empty and fill fast
(the inbox) join the array's elements instead (`in_array`), which is an index look-up each.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Insert, Table, any_, bindparam, func, insert, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession


def is_postgres(session: AsyncSession) -> bool:
    """Whether the session talks to PostgreSQL."""
    return session.get_bind().dialect.name == "postgresql"


def any_of(
    session: AsyncSession, column: ColumnElement[Any], values: Sequence[Any]
) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL as ``= ANY(array)``."""
    if is_postgres(session):
        array = bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
        return column == any_(array)
    return column.in_(list(values))


def in_array(
    session: AsyncSession, column: ColumnElement[Any], values: Sequence[Any]
) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL as ``IN (SELECT unnest(array))``.

    Planned as a join of the array's elements with the column's index, whatever the
    statistics: one statement, and no plan that scans a table grown since it was analyzed.
    """
    if is_postgres(session):
        array = bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
        return column.in_(select(func.unnest(array)))
    return column.in_(list(values))


async def insert_columns(
    session: AsyncSession, table: Table, columns: Mapping[str, Sequence[Any]]
) -> None:
    """Insert rows given column-wise (equal-length lists); on PostgreSQL one ``unnest``."""
    names = list(columns)
    if not names or not len(columns[names[0]]):
        return
    if is_postgres(session):
        arrays = [
            func.unnest(bindparam(None, list(values), type_=postgresql.ARRAY(table.c[name].type)))
            for name, values in columns.items()
        ]
        statement: Insert = insert(table).from_select(names, select(*arrays))
        await session.execute(statement)
        return
    rows = [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]
    await session.execute(insert(table), rows)
