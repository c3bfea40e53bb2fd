"""Numeric columns of a whole table at memory speed: PostgreSQL's binary COPY, parsed by numpy.

Text CSV makes PostgreSQL print every float and polars parse it back. In binary COPY a row
whose fields are all non-null and fixed-width has a fixed size, so numpy reads the stream as a
structured array. Nullable columns are coalesced on the server (NaN for floats, the smallest
int4 for integers) and come back as nulls.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import Column, Float, Integer, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.segmentation.adapters.sql import driver

_HEADER = 19  # signature (11) + flags (4) + header extension length (4)
_TRAILER = 2  # field count -1
_NULL_INT = -(2**31)


def _field(column: Column[Any]) -> tuple[Any, str]:
    """The select expression of a column and the numpy type of its binary value."""
    if isinstance(column.type, Float):
        nan: Any = literal_column("'NaN'::float8")
        return (func.coalesce(column, nan) if column.nullable else column), ">f8"
    if isinstance(column.type, Integer):
        return (func.coalesce(column, _NULL_INT) if column.nullable else column), ">i4"
    raise TypeError(f"{column.name} is not a float8 or int4 column")


async def copy_numbers(
    session: AsyncSession,
    columns: dict[str, Column[Any]],
    *,
    source: Any,
    order_by: Any,
    where: Any = None,
) -> pl.DataFrame:
    """``columns`` (name -> float8 or int4 table column) of the rows of ``source`` (``where``)."""
    fields = {name: _field(column) for name, column in columns.items()}
    query = select(*(expr.label(name) for name, (expr, _) in fields.items()))
    query = query.select_from(source).order_by(order_by)
    if where is not None:
        query = query.where(where)
    connection = await session.connection()
    sql = str(query.compile(connection.sync_connection, compile_kwargs={"literal_binds": True}))
    buffer = io.BytesIO()

    async def sink(chunk: bytes) -> None:
        buffer.write(chunk)

    raw = await driver(session)
    await raw.copy_from_query(sql, output=sink, format="binary")
    layout: list[tuple[str, str]] = [("_count", ">i2")]
    for name, (_, dtype) in fields.items():
        layout += [(f"_len_{name}", ">i4"), (name, dtype)]
    rows = np.frombuffer(buffer.getbuffer()[_HEADER:-_TRAILER], dtype=np.dtype(layout))
    frame = pl.DataFrame(
        {name: rows[name].astype(dtype.replace(">", "=")) for name, (_, dtype) in fields.items()}
    )
    return frame.with_columns(
        pl.col(name).fill_nan(None)
        if dtype == ">f8"
        else pl.when(pl.col(name) == _NULL_INT).then(None).otherwise(pl.col(name)).alias(name)
        for name, (_, dtype) in fields.items()
    )
