"""Source records and their blind-index keys: the store behind identification and lookup.

Candidates are fetched by the keyed hashes of blocking keys through the index on
``record_key.key_hash`` (see ``postings``), never by scanning customers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import (
    bindparam,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.adapters.bulk import insert_rows
from services.identity.adapters.orm import record_key, source_record
from services.identity.adapters.postings import (
    Postings,
    generic_postings,
    pg_postings,
    pg_records,
)
from shared.db.arrays import is_postgres

T = TypeVar("T")
_Pair = tuple[bytes, int]
CHUNK = 5000  # ids per IN list: below every driver's bind-parameter limit
RECORD_COLUMNS = (
    source_record.c.id,
    source_record.c.customer_id,
    source_record.c.original_customer_id,
    source_record.c.source_system,
    source_record.c.source_record_id,
    source_record.c.kind,
    source_record.c.branch,
    source_record.c.channel,
    source_record.c.observed_at,
)


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A row of ``source_record``; ``payload`` is the ciphertext (None when not selected)."""

    id: int
    customer_id: str
    original_customer_id: str
    source_system: str
    source_record_id: str
    kind: str
    branch: str | None
    channel: str | None
    observed_at: dt.datetime | None
    payload: bytes | None = None

    @property
    def key(self) -> tuple[str, str]:
        """(source system, record id)."""
        return (self.source_system, self.source_record_id)


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def stored_record(row: Any, *, payload: bool) -> StoredRecord:
    """A ``source_record`` row (selected with ``RECORD_COLUMNS``) as a StoredRecord."""
    return StoredRecord(
        id=int(row.id),
        customer_id=row.customer_id,
        original_customer_id=row.original_customer_id,
        source_system=row.source_system,
        source_record_id=row.source_record_id,
        kind=row.kind,
        branch=row.branch,
        channel=row.channel,
        observed_at=row.observed_at,
        payload=bytes(row.payload) if payload else None,
    )


class RecordRepository:
    """Reads and writes ``source_record`` and ``record_key``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], StoredRecord]:
        """The stored records with these (source system, record id) keys."""
        by_system: dict[str, list[str]] = defaultdict(list)
        for system, record_id in keys:
            by_system[system].append(record_id)
        found: dict[tuple[str, str], StoredRecord] = {}
        for system, ids in by_system.items():
            for part in chunks(ids):
                query = select(*RECORD_COLUMNS, source_record.c.payload).where(
                    source_record.c.source_system == system,
                    source_record.c.source_record_id.in_(part),
                )
                for row in await self.session.execute(query):
                    stored = stored_record(row, payload=True)
                    found[stored.key] = stored
        return found

    async def postings(
        self,
        hashes: Sequence[bytes],
        *,
        max_postings: int,
        keys: Sequence[tuple[str, str]] = (),
        prefetch: int = 0,
    ) -> Postings:
        """Record ids under each hash; hashes with more than ``max_postings`` rows are stop keys.

        With record ``keys``, ``stored`` holds the records already stored under them, and when
        there is one the hashes are not looked up (one round trip for a single identify). With
        ``prefetch`` (PostgreSQL), the best ``prefetch`` records of one probe come along.
        """
        to_record = partial(stored_record, payload=True)
        if is_postgres(self.session):
            return await pg_postings(
                self.session, hashes, max_postings, to_record, keys=keys, prefetch=prefetch
            )
        found = await self.find(keys)
        if found:
            return Postings(stored=found)
        return await generic_postings(self.session, hashes, max_postings)

    async def fetch(self, postings: Postings, ids: Iterable[int]) -> None:
        """Add these records (with their ciphertext) to ``postings``, unless held already."""
        wanted = sorted(set(ids) - postings.records.keys())
        if is_postgres(self.session):
            await pg_records(self.session, postings, wanted, partial(stored_record, payload=True))
            return
        for record in await self.by_ids(wanted, payload=True):
            postings.keep(record, None, None)

    async def by_ids(self, ids: Sequence[int], *, payload: bool) -> list[StoredRecord]:
        """Records by row id."""
        columns = (*RECORD_COLUMNS, source_record.c.payload) if payload else RECORD_COLUMNS
        out: list[StoredRecord] = []
        for part in chunks(ids):
            rows = await self.session.execute(select(*columns).where(source_record.c.id.in_(part)))
            out += [stored_record(row, payload=payload) for row in rows]
        return out

    async def of_customers(self, ids: Iterable[str], *, payload: bool) -> list[StoredRecord]:
        """Every record currently owned by these customers, oldest row first."""
        columns = (*RECORD_COLUMNS, source_record.c.payload) if payload else RECORD_COLUMNS
        out: list[StoredRecord] = []
        for part in chunks(sorted(set(ids))):
            query = select(*columns).where(source_record.c.customer_id.in_(part))
            rows = await self.session.execute(query.order_by(source_record.c.id))
            out += [stored_record(row, payload=payload) for row in rows]
        return out

    async def add(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """Insert records; their new row ids, in the order given."""
        returning = ("id", "source_system", "source_record_id")
        result = await insert_rows(self.session, source_record, rows, returning=returning)
        if result is None:
            return []
        ids = {(row.source_system, row.source_record_id): int(row.id) for row in result}
        return [ids[(row["source_system"], row["source_record_id"])] for row in rows]

    async def rewrite(self, changes: Sequence[dict[str, Any]]) -> None:
        """Update records by id: each dict holds ``rid`` and the columns to set (same for all)."""
        if not changes:
            return
        columns = [c for c in changes[0] if c != "rid"]
        statement = (
            update(source_record)
            .where(source_record.c.id == bindparam("rid"))
            .values({c: bindparam(c) for c in columns})
        )
        await self.session.execute(statement, list(changes))

    async def add_keys(self, pairs: Sequence[tuple[bytes, int]]) -> None:
        """Index records under key hashes."""
        rows = [{"record_id": i, "key_hash": h} for h, i in pairs]
        for part in chunks(rows, 200_000):
            await insert_rows(self.session, record_key, part)

    async def drop_keys(self, record_ids: Sequence[int]) -> None:
        """Remove every key row of these records."""
        for part in chunks(record_ids):
            await self.session.execute(delete(record_key).where(record_key.c.record_id.in_(part)))

    async def delete(self, record_ids: Sequence[int]) -> None:
        """Delete records (their keys go with them)."""
        await self.drop_keys(record_ids)
        for part in chunks(record_ids):
            await self.session.execute(delete(source_record).where(source_record.c.id.in_(part)))

    async def customers_under(self, key_hash: bytes, *, limit: int = 50) -> list[str]:
        """The distinct owners of the records indexed under one hash (an identifier lookup)."""
        query = (
            select(source_record.c.customer_id)
            .join(record_key, record_key.c.record_id == source_record.c.id)
            .where(record_key.c.key_hash == key_hash)
            .distinct()
            .limit(limit)
        )
        return [str(c) for c in (await self.session.scalars(query))]

    async def sample(self, n: int) -> list[StoredRecord]:
        """Up to ``n`` records drawn at random (with their ciphertext)."""
        query = select(*RECORD_COLUMNS, source_record.c.payload).order_by(func.random()).limit(n)
        return [stored_record(row, payload=True) for row in await self.session.execute(query)]
