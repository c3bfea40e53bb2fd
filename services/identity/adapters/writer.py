"""Writing what one identify call creates: customers, data keys, records, key rows, history.

On PostgreSQL a small write is one statement (data-modifying CTEs over column arrays), so a
single ``identify`` pays one round trip for all five tables instead of five. A batch draws its
records' ids from their sequence first and then COPYs each table (no RETURNING to wait for, no
per-value array encoding); elsewhere it is one insert per table.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import ARRAY, DateTime, LargeBinary, Table, Text, TextClause, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.adapters.bulk import (
    column_arrays,
    column_values,
    copy_dicts,
    copy_rows,
    insert_rows,
)
from services.identity.adapters.orm import (
    customer,
    customer_event,
    customer_key,
    record_key,
    source_record,
)

Row = Mapping[str, Any]
KeyRow = tuple[int, bytes]  # (position of the record in ``records``, key hash)
# Above this many records one insert per table is faster (a batch's 100,000 key rows joined
# back to their records cost more than the round trips saved).
ONE_STATEMENT_MAX = 100
_PARTS: tuple[tuple[str, Table], ...] = (
    ("c_", customer),
    ("k_", customer_key),
    ("r_", source_record),
    ("e_", customer_event),
)


def _columns(table: Table) -> tuple[str, ...]:
    """Every column but an auto-increment id."""
    return tuple(c.name for c in table.c if not (c.primary_key and c.autoincrement is True))


@lru_cache(maxsize=1)
def _statement() -> TextClause:
    ctes, params = [], []
    for prefix, table in _PARTS:
        arrays, part = column_arrays(table, _columns(table), prefix)
        returning = " RETURNING id, source_system, source_record_id" if prefix == "r_" else ""
        insert = f"INSERT INTO {table.name} ({', '.join(_columns(table))}) SELECT * FROM {arrays}"
        ctes.append(f"{prefix}cte AS ({insert}{returning})")
        params += part
    ctes.append(
        "x_cte AS (INSERT INTO record_key (record_id, key_hash) SELECT r.id, x.h FROM "
        "unnest(CAST(:x_system AS text[]), CAST(:x_record AS text[]), CAST(:x_hash AS bytea[]))"
        " AS x(s, rid, h) JOIN r_cte AS r ON r.source_system = x.s AND r.source_record_id = x.rid)"
    )
    params += [
        bindparam("x_system", type_=ARRAY(Text())),
        bindparam("x_record", type_=ARRAY(Text())),
        bindparam("x_hash", type_=ARRAY(LargeBinary())),
    ]
    sql = "WITH " + ",\n".join(ctes) + "\nSELECT id, source_system, source_record_id FROM r_cte"
    return text(sql).bindparams(*params)


async def write_new(
    session: AsyncSession,
    *,
    customers: Sequence[Row],
    keys: Sequence[Row],
    records: Sequence[Row],
    record_keys: Sequence[KeyRow],
    history: Sequence[Row],
) -> list[int]:
    """Insert all of it; the new records' row ids, in the order given."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if not postgres or len(records) > ONE_STATEMENT_MAX:
        return await _table_by_table(session, customers, keys, records, record_keys, history)
    values: dict[str, list[Any]] = {}
    for (prefix, table), rows in zip(_PARTS, (customers, keys, records, history), strict=True):
        values |= column_values(table, rows, _columns(table), prefix)
    values |= {
        "x_system": [records[p]["source_system"] for p, _ in record_keys],
        "x_record": [records[p]["source_record_id"] for p, _ in record_keys],
        "x_hash": [h for _, h in record_keys],
    }
    result = await session.execute(_statement(), values)
    ids = {(row.source_system, row.source_record_id): int(row.id) for row in result}
    return [ids[(r["source_system"], r["source_record_id"])] for r in records]


async def _table_by_table(
    session: AsyncSession,
    customers: Sequence[Row],
    keys: Sequence[Row],
    records: Sequence[Row],
    record_keys: Sequence[KeyRow],
    history: Sequence[Row],
) -> list[int]:
    await copy_dicts(session, customer, customers)
    await copy_dicts(session, customer_key, keys)
    ids = await _add_records(session, records)
    key_rows = [(ids[p], h) for p, h in record_keys]
    await copy_rows(session, record_key, ("record_id", "key_hash"), key_rows)
    await copy_dicts(session, customer_event, history)
    return ids


_NEXT_RECORD_IDS = text(
    "SELECT nextval(pg_get_serial_sequence('source_record', 'id')) FROM generate_series(1, :n)"
)


async def _add_records(session: AsyncSession, records: Sequence[Row]) -> list[int]:
    """Store records; their ids in order (on PostgreSQL drawn first, then COPY)."""
    if session.get_bind().dialect.name != "postgresql":
        result = await insert_rows(session, source_record, records, returning=("id",))
        return [int(i) for i in result.scalars()] if result is not None else []
    ids = [int(i) for i in await session.scalars(_NEXT_RECORD_IDS, {"n": len(records)})]
    await copy_dicts(session, source_record, records, ids=ids)
    return ids


_SUMMARIES = (
    "s_cte AS (UPDATE customer SET home_branch = v.home_branch,"
    " branches = CAST(v.branches AS json), channels = CAST(v.channels AS json),"
    " updated_at = :s_at FROM unnest(CAST(:s_cid AS text[]),"
    " CAST(:s_home AS text[]), CAST(:s_branches AS text[]), CAST(:s_channels AS text[]))"
    " AS v(cid, home_branch, branches, channels) WHERE customer.id = v.cid)"
)


@lru_cache(maxsize=4)
def _finish_statement(outbox: Table, names: tuple[str, ...]) -> TextClause:
    arrays, params = column_arrays(outbox, names, "o_")
    insert = f"INSERT INTO {outbox.name} ({', '.join(names)}) SELECT * FROM {arrays}"
    sql = f"WITH {_SUMMARIES}, o_cte AS ({insert}) SELECT 1"
    return text(sql).bindparams(
        *params,
        bindparam("s_at", type_=DateTime(timezone=True)),
        *(bindparam(f"s_{n}", type_=ARRAY(Text())) for n in _SUMMARY_ARRAYS),
    )


_SUMMARY_ARRAYS = ("cid", "home", "branches", "channels")


async def write_finish(
    session: AsyncSession,
    outbox: Table,
    *,
    summaries: Sequence[Row],
    at: dt.datetime | None,
    outbox_rows: Sequence[Row],
) -> None:
    """Store customer summaries (``cid`` and the three facts) and outbox rows in one statement.

    The last write of an identify before its commit: one round trip instead of two.
    """
    if not summaries and not outbox_rows:
        return
    names = tuple(outbox_rows[0]) if outbox_rows else _OUTBOX_COLUMNS
    values = column_values(outbox, outbox_rows, names, "o_")
    values |= {
        "s_at": at,
        "s_cid": [s["cid"] for s in summaries],
        "s_home": [s["home_branch"] for s in summaries],
        "s_branches": [json.dumps(s["branches"]) for s in summaries],
        "s_channels": [json.dumps(s["channels"]) for s in summaries],
    }
    await session.execute(_finish_statement(outbox, names), values)


_OUTBOX_COLUMNS = ("event_id", "topic", "key", "event_type", "value", "created_at")
