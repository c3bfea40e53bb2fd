"""Candidate lookup: the record ids under a set of blind-index key hashes, then the records.

A key with more than ``max_postings`` rows is a stop key: reported, not listed. On PostgreSQL
each key's ids are read with ``LIMIT max_postings + 1`` from the (key hash, record id) index
alone, so a huge block costs a bounded probe; the caller then picks the records worth
comparing and fetches those, with their owners' wrapped data keys, in a second query. For a
single record the query ranks them itself (``prefetch``) and brings them along, so the second
query has nothing left to fetch. Elsewhere (SQLite, local use) keys are counted, then listed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ARRAY, BigInteger, LargeBinary, Text, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.adapters.orm import record_key
from services.identity.domain.blocking import WEIGHT_UNIT

_COLUMNS = (
    "r.id, r.customer_id, r.original_customer_id, r.source_system, r.source_record_id, r.kind, "
    "r.branch, r.channel, r.observed_at, r.payload, ck.wrapped_key, ck.master_key_id"
)
_NO_COLUMNS = ", ".join(["NULL"] * (_COLUMNS.count(",") + 1))  # a hit is an id: ``hit_id``
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
    ), ranked AS (
        SELECT hit.record_id FROM hit JOIN sized AS s ON s.key_hash = hit.key_hash AND s.n < :cap
        GROUP BY hit.record_id ORDER BY sum(:unit / s.n) DESC, hit.record_id LIMIT :prefetch
    )
    SELECT NULL AS key_hash, -1 AS n, NULL AS hit_id, {_COLUMNS}
    FROM stored AS r LEFT JOIN customer_key AS ck ON ck.customer_id = r.customer_id
    UNION ALL
    SELECT s.key_hash, s.n, hit.record_id, {_NO_COLUMNS}
    FROM sized AS s LEFT JOIN hit ON hit.key_hash = s.key_hash AND s.n < :cap
    UNION ALL
    SELECT NULL, -2, NULL, {_COLUMNS} FROM ranked JOIN source_record AS r ON r.id = ranked.record_id
    LEFT JOIN customer_key AS ck ON ck.customer_id = r.customer_id
    """
).bindparams(
    bindparam("hashes", type_=ARRAY(LargeBinary)),
    bindparam("systems", type_=ARRAY(Text)),
    bindparam("record_ids", type_=ARRAY(Text)),
)
_PG_RECORDS = text(
    f"""
    SELECT {_COLUMNS} FROM unnest(CAST(:ids AS bigint[])) AS x(id)
    JOIN source_record AS r ON r.id = x.id
    LEFT JOIN customer_key AS ck ON ck.customer_id = r.customer_id
    """
).bindparams(bindparam("ids", type_=ARRAY(BigInteger)))


@dataclass
class Postings:
    """What a set of key hashes found: record ids and stored rows per hash, stop keys.

    ``sizes`` holds how many records each hash has (over ``max_postings`` for a stop key);
    ``records`` the rows of ``source_record`` (``StoredRecord``) fetched so far, and
    ``wrapped`` the wrapped data key and master key id of their owners; ``stored`` the records
    already stored under the (source system, record id) asked about.
    """

    by_hash: dict[bytes, list[int]] = field(default_factory=dict)
    sizes: dict[bytes, int] = field(default_factory=dict)
    stop: set[bytes] = field(default_factory=set)
    records: dict[int, Any] = field(default_factory=dict)
    wrapped: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    stored: dict[tuple[str, str], Any] = field(default_factory=dict)

    def keep(self, record: Any, wrapped: Any, master_key_id: str | None) -> None:
        """Hold a fetched record, and its owner's wrapped data key when the row carried it."""
        self.records[record.id] = record
        if wrapped is not None and master_key_id is not None:
            self.wrapped[record.customer_id] = (bytes(wrapped), master_key_id)


async def pg_postings(
    session: AsyncSession,
    hashes: Sequence[bytes],
    max_postings: int,
    to_record: Any,
    *,
    keys: Sequence[tuple[str, str]] = (),
    prefetch: int = 0,
) -> Postings:
    """One query: the record ids under each hash, and the size of each.

    Given record ``keys`` (source system, record id), the records stored under them come in
    the same round trip; when there is one, the hashes are not looked up (a re-submission
    needs no candidates). With ``prefetch``, the records a single probe would shortlist (ranked
    as `shortlist` ranks them) come too, so that usually no second query is needed.
    """
    out = Postings()
    if not hashes and not keys:
        return out
    params = {
        "hashes": list(hashes),
        "cap": max_postings + 1,
        "unit": WEIGHT_UNIT,
        "prefetch": prefetch,
        "systems": [k[0] for k in keys],
        "record_ids": [k[1] for k in keys],
    }
    for row in await session.execute(_PG_POSTINGS, params):
        if row.n < 0:
            record = to_record(row)
            if row.n == -1:
                out.stored[record.key] = record
            out.keep(record, row.wrapped_key, row.master_key_id)
            continue
        key_hash = bytes(row.key_hash)
        out.sizes[key_hash] = row.n
        if row.n > max_postings:
            out.stop.add(key_hash)
        else:
            out.by_hash.setdefault(key_hash, []).append(int(row.hit_id))
    return out


async def pg_records(
    session: AsyncSession, postings: Postings, ids: Sequence[int], to_record: Any
) -> None:
    """Fetch records by id into ``postings``, with their owners' wrapped data keys."""
    for start in range(0, len(ids), 50_000):
        part = list(ids[start : start + 50_000])
        for row in await session.execute(_PG_RECORDS, {"ids": part}):
            postings.keep(to_record(row), row.wrapped_key, row.master_key_id)


async def generic_postings(
    session: AsyncSession, hashes: Sequence[bytes], max_postings: int
) -> Postings:
    """Record ids under each hash (count first, list the small keys); and the stop keys."""
    out = Postings()
    for start in range(0, len(hashes), 500):
        part = list(hashes[start : start + 500])
        sizes = select(record_key.c.key_hash, func.count()).where(record_key.c.key_hash.in_(part))
        counted = {
            bytes(h): n for h, n in await session.execute(sizes.group_by(record_key.c.key_hash))
        }
        out.sizes |= counted
        out.stop |= {h for h, n in counted.items() if n > max_postings}
        small = [h for h, n in counted.items() if n <= max_postings]
        if small:
            query = select(record_key.c.key_hash, record_key.c.record_id)
            for h, i in await session.execute(query.where(record_key.c.key_hash.in_(small))):
                out.by_hash.setdefault(bytes(h), []).append(int(i))
    return out
