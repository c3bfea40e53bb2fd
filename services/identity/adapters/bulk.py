"""Bulk inserts: one statement over column arrays on PostgreSQL, executemany elsewhere.

``INSERT ... SELECT * FROM unnest(:a, :b, ...)`` sends a 10,000-row batch as one statement
and one round trip, several times faster than multi-row VALUES batches.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import ARRAY, Table, Text, TextClause, bindparam, insert, text
from sqlalchemy.engine import Result
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import JSON, BigInteger, DateTime, Float, LargeBinary, TypeEngine

_SQL_TYPES: tuple[tuple[type[TypeEngine[Any]], str], ...] = (
    (DateTime, "timestamptz"),
    (LargeBinary, "bytea"),
    (BigInteger, "bigint"),
    (Float, "float8"),
    (JSON, "json"),
)


def _sql_type(column_type: TypeEngine[Any]) -> str:
    for kind, name in _SQL_TYPES:
        if isinstance(column_type, kind):
            return name
    return "text"


def _statement(table: Table, names: Sequence[str], returning: Sequence[str]) -> TextClause:
    types = {name: _sql_type(table.c[name].type) for name in names}
    arrays = ", ".join(f"CAST(:{name} AS {types[name]}[])" for name in names)
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays})"
    if returning:
        sql += f" RETURNING {', '.join(returning)}"
    params = [
        bindparam(name, type_=ARRAY(Text() if types[name] == "json" else table.c[name].type))
        for name in names
    ]
    return text(sql).bindparams(*params)


async def insert_rows(
    session: AsyncSession,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    *,
    returning: Sequence[str] = (),
) -> Result[Any] | None:
    """Insert rows (all with the same keys); the RETURNING result when asked for."""
    if not rows:
        return None
    if session.get_bind().dialect.name != "postgresql":
        statement = insert(table)
        if returning:
            statement = statement.returning(
                *(table.c[c] for c in returning), sort_by_parameter_order=True
            )
        return await session.execute(statement, [dict(r) for r in rows])
    names = list(rows[0])
    columns = {name: [row[name] for row in rows] for name in names}
    for name in names:
        if isinstance(table.c[name].type, JSON):
            columns[name] = [json.dumps(v) for v in columns[name]]
    return await session.execute(_statement(table, names, returning), columns)
