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
from services.identity.adapters.customers import CustomerRecords, customer_from_json
from services.identity.adapters.orm import (
    customer,
    customer_event,
    customer_key,
    record_key,
    source_record,
)
from services.identity.adapters.records import RECORD_COLUMNS, StoredRecord
from shared.db.arrays import is_postgres

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
    sql = "WITH " + ",\n".join(ctes) + _RETURNED
    return text(sql).bindparams(*params, bindparam("w_ids", type_=ARRAY(Text())))


# The new records' ids, then each linked customer as it stood before this statement (its row
# and its records, as JSON): what the summary refresh would otherwise read in a round trip.
_RECORD_JSON = ", ".join(f"'{c.name}', r.{c.name}" for c in RECORD_COLUMNS)
_RETURNED = f"""
SELECT id, source_system, source_record_id, NULL AS customer FROM r_cte
UNION ALL
SELECT NULL, NULL, NULL, CAST(json_build_object('row', row_to_json(c), 'records', (
    SELECT json_agg(json_build_object({_RECORD_JSON})) FROM source_record AS r
    WHERE r.customer_id = c.id)) AS text)
FROM customer AS c WHERE c.id = ANY(CAST(:w_ids AS text[]))"""


async def write_new(
    session: AsyncSession,
    *,
    customers: Sequence[Row],
    keys: Sequence[Row],
    records: Sequence[Row],
    record_keys: Sequence[KeyRow],
    history: Sequence[Row],
) -> tuple[list[int], dict[str, CustomerRecords]]:
    """Insert all of it; the new records' row ids, in the order given.

    A one-statement write also returns the existing customers the records joined, each with
    its records including the new ones (``with_records`` then needs no query); else nothing.
    """
    if not is_postgres(session) or len(records) > ONE_STATEMENT_MAX:
        ids = await _table_by_table(session, customers, keys, records, record_keys, history)
        return ids, {}
    values: dict[str, list[Any]] = {}
    for (prefix, table), rows in zip(_PARTS, (customers, keys, records, history), strict=True):
        values |= column_values(table, rows, _columns(table), prefix)
    values |= {
        "x_system": [records[p]["source_system"] for p, _ in record_keys],
        "x_record": [records[p]["source_record_id"] for p, _ in record_keys],
        "x_hash": [h for _, h in record_keys],
    }
    values["w_ids"] = sorted({r["customer_id"] for r in records} - {c["id"] for c in customers})
    return await _one_statement(values, records, session)


async def _one_statement(
    values: dict[str, Any], records: Sequence[Row], session: AsyncSession
) -> tuple[list[int], dict[str, CustomerRecords]]:
    new_ids: dict[tuple[str, str], int] = {}
    joined: dict[str, CustomerRecords] = {}
    for row in await session.execute(_statement(), values):
        if row.customer is None:
            new_ids[(row.source_system, row.source_record_id)] = int(row.id)
        else:
            found = customer_from_json(row.customer)
            joined[found[0].id] = found
    out = [new_ids[(r["source_system"], r["source_record_id"])] for r in records]
    for record, record_id in zip(records, out, strict=True):
        if record["customer_id"] in joined:
            joined[record["customer_id"]][1].append(_stored(record, record_id))
    return out, joined


def _stored(record: Row, record_id: int) -> StoredRecord:
    return StoredRecord(record_id, *(record[c.name] for c in RECORD_COLUMNS[1:]))


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
    values: dict[str, Any] = column_values(outbox, outbox_rows, names, "o_")
    values |= {
        "s_at": at,
        "s_cid": [s["cid"] for s in summaries],
        "s_home": [s["home_branch"] for s in summaries],
        "s_branches": [json.dumps(s["branches"]) for s in summaries],
        "s_channels": [json.dumps(s["channels"]) for s in summaries],
    }
    await session.execute(_finish_statement(outbox, names), values)


_OUTBOX_COLUMNS = ("event_id", "topic", "key", "event_type", "value", "created_at")
