"""Candidate lookup: the stored records under a set of blind-index key hashes, in one query.

A key with more than ``max_postings`` rows is a stop key: reported, not fetched. On PostgreSQL
each key's rows are read with ``LIMIT max_postings + 1`` from the (key hash, record id) index,
so a huge block costs a bounded probe, and the records come back with their owner's wrapped
data key in the same round trip. Elsewhere (SQLite, local use) keys are counted, then fetched.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ARRAY, LargeBinary, Text, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.adapters.orm import record_key

_COLUMNS = (
    "r.id, r.customer_id, r.original_customer_id, r.source_system, r.source_record_id, r.kind, "
    "r.branch, r.channel, r.observed_at, r.payload, ck.wrapped_key, ck.master_key_id"
)
_PG_POSTINGS = text(
    f"""
    WITH stored AS (
        SELECT r.* FROM unnest(CAST(:systems AS text[]), CAST(:record_ids AS text[])) AS x(s, i)
        JOIN source_record AS r ON r.source_system = x.s AND r.source_record_id = x.i
    ), hit AS (
        SELECT h.key_hash, k.record_id
        FROM unnest(CAST(:hashes AS bytea[])) AS h(key_hash)
        CROSS JOIN LATERAL (
            SELECT record_id FROM record_key WHERE record_key.key_hash = h.key_hash LIMIT :cap
        ) AS k
        WHERE NOT EXISTS (SELECT FROM stored)
    ), sized AS (
        SELECT key_hash, count(*) AS n FROM hit GROUP BY key_hash
    )
    SELECT NULL AS key_hash, -1 AS n, {_COLUMNS}
    FROM stored AS r LEFT JOIN customer_key AS ck ON ck.customer_id = r.customer_id
    UNION ALL
    SELECT s.key_hash, s.n, {_COLUMNS}
    FROM sized AS s
    LEFT JOIN hit ON hit.key_hash = s.key_hash AND s.n < :cap
    LEFT JOIN source_record AS r ON r.id = hit.record_id
    LEFT JOIN customer_key AS ck ON ck.customer_id = r.customer_id
    """
).bindparams(
    bindparam("hashes", type_=ARRAY(LargeBinary)),
    bindparam("systems", type_=ARRAY(Text)),
    bindparam("record_ids", type_=ARRAY(Text)),
)


@dataclass
class Postings:
    """What a set of key hashes found: record ids per hash, stop keys, the records.

    ``records`` holds rows of ``source_record`` (``StoredRecord``); ``wrapped`` the wrapped
    data key and master key id of each owner, when the store returned them alongside;
    ``stored`` the records already stored under the (source system, record id) asked about.
    """

    by_hash: dict[bytes, list[int]] = field(default_factory=dict)
    stop: set[bytes] = field(default_factory=set)
    records: dict[int, Any] = field(default_factory=dict)
    wrapped: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    stored: dict[tuple[str, str], Any] = field(default_factory=dict)

    def add(self, key_hash: bytes, record: Any) -> None:
        """File ``record`` under ``key_hash``."""
        self.by_hash.setdefault(key_hash, []).append(record.id)
        self.records[record.id] = record


async def pg_postings(
    session: AsyncSession,
    hashes: Sequence[bytes],
    max_postings: int,
    to_record: Any,
    *,
    keys: Sequence[tuple[str, str]] = (),
) -> Postings:
    """One query: the records under each hash with their owners' wrapped keys.

    Given record ``keys`` (source system, record id), the records stored under them come in
    the same round trip; when there is one, the hashes are not looked up (a re-submission
    needs no candidates).
    """
    out = Postings()
    if not hashes and not keys:
        return out
    params = {
        "hashes": list(hashes),
        "cap": max_postings + 1,
        "systems": [k[0] for k in keys],
        "record_ids": [k[1] for k in keys],
    }
    for row in await session.execute(_PG_POSTINGS, params):
        if row.n < 0:
            record = to_record(row)
            out.stored[record.key] = record
            if row.wrapped_key is not None:
                out.wrapped[row.customer_id] = (bytes(row.wrapped_key), row.master_key_id)
            continue
        key_hash = bytes(row.key_hash)
        if row.n > max_postings:
            out.stop.add(key_hash)
        elif row.id is not None:
            out.add(key_hash, to_record(row))
            out.wrapped[row.customer_id] = (bytes(row.wrapped_key), row.master_key_id)
    return out


async def generic_postings(
    session: AsyncSession, hashes: Sequence[bytes], max_postings: int
) -> tuple[dict[bytes, list[int]], set[bytes]]:
    """Record ids under each hash (count first, fetch the small keys); and the stop keys."""
    by_hash: dict[bytes, list[int]] = {}
    stop: set[bytes] = set()
    for start in range(0, len(hashes), 500):
        part = list(hashes[start : start + 500])
        sizes = select(record_key.c.key_hash, func.count()).where(record_key.c.key_hash.in_(part))
        counted = list(await session.execute(sizes.group_by(record_key.c.key_hash)))
        stop |= {bytes(h) for h, n in counted if n > max_postings}
        small = [bytes(h) for h, n in counted if n <= max_postings]
        if small:
            query = select(record_key.c.key_hash, record_key.c.record_id)
            for h, i in await session.execute(query.where(record_key.c.key_hash.in_(small))):
                by_hash.setdefault(bytes(h), []).append(int(i))
    return by_hash, stop
