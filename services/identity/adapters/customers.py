"""Customers, their data keys and their history."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.adapters.bulk import insert_rows
from services.identity.adapters.orm import customer, customer_event, customer_key, source_record
from services.identity.adapters.records import RECORD_COLUMNS, StoredRecord, chunks
from services.identity.adapters.vault import Vault


@dataclass(frozen=True, slots=True)
class CustomerRow:
    """A row of ``customer``: status and the non-PII facts kept beside the records."""

    id: str
    kind: str
    status: str
    merged_into: str | None
    home_branch: str | None
    branches: list[str]
    channels: list[str]
    created_at: dt.datetime
    updated_at: dt.datetime
    erased_at: dt.datetime | None


CustomerRecords = tuple[CustomerRow, list[StoredRecord]]


def customer_from_json(text: str) -> CustomerRecords:
    """A customer and its records from ``{"row": row_to_json(customer), "records": [...]}``."""
    data = json.loads(text)
    row = data["row"]
    stamps = {n: _at(row[n]) for n in ("created_at", "updated_at", "erased_at")}
    customer_row = CustomerRow(**{**row, **stamps})
    records = [
        StoredRecord(**{**r, "observed_at": _at(r["observed_at"])}) for r in data["records"] or ()
    ]
    return customer_row, sorted(records, key=lambda r: r.id)


def _at(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


class CustomerRepository:
    """Reads and writes ``customer``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._known: dict[str, CustomerRecords] = {}

    def know(self, found: Mapping[str, CustomerRecords]) -> None:
        """Customers and records this transaction just read and wrote: `with_records` answers
        with them once instead of querying."""
        self._known.update(found)

    async def get(self, customer_id: str, *, for_update: bool = False) -> CustomerRow | None:
        """One customer, optionally locked until the transaction ends."""
        query = select(customer).where(customer.c.id == customer_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).first()
        return CustomerRow(*row) if row else None

    async def get_many(self, ids: Iterable[str]) -> dict[str, CustomerRow]:
        """Customers by id (missing ids are left out)."""
        out: dict[str, CustomerRow] = {}
        for part in chunks(sorted(set(ids))):
            rows = await self.session.execute(select(customer).where(customer.c.id.in_(part)))
            out.update({row.id: CustomerRow(*row) for row in rows})
        return out

    async def with_records(
        self, ids: Iterable[str]
    ) -> dict[str, tuple[CustomerRow, list[StoredRecord]]]:
        """Customers and their records (without ciphertext), in one query."""
        wanted = set(ids)
        out = {i: self._known.pop(i) for i in wanted & self._known.keys()}
        width = len(customer.c)
        for part in chunks(sorted(wanted - out.keys())):
            query = (
                select(customer, *RECORD_COLUMNS)
                .join(source_record, source_record.c.customer_id == customer.c.id)
                .where(customer.c.id.in_(part))
                .order_by(source_record.c.id)
            )
            for row in await self.session.execute(query):
                entry = out.setdefault(row.id, (CustomerRow(*row[:width]), []))
                entry[1].append(StoredRecord(*row[width:]))  # RECORD_COLUMNS, in field order
        return out

    async def add(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert customers."""
        await insert_rows(self.session, customer, rows)

    async def set_summaries(self, changes: Sequence[Mapping[str, Any]], *, at: dt.datetime) -> None:
        """Store home branch, branches and channels: each change holds ``cid`` and the three."""
        if not changes:
            return
        statement = (
            update(customer)
            .where(customer.c.id == bindparam("cid"))
            .values(
                home_branch=bindparam("home_branch"),
                branches=bindparam("branches"),
                channels=bindparam("channels"),
                updated_at=at,
            )
        )
        await self.session.execute(statement, [dict(c) for c in changes])

    async def set_status(
        self, ids: Sequence[str], *, status: str, merged_into: str | None, at: dt.datetime
    ) -> None:
        """Mark customers active, merged (into ``merged_into``) or erased."""
        values: dict[str, Any] = {"status": status, "merged_into": merged_into, "updated_at": at}
        if status == "erased":
            values.update(erased_at=at, home_branch=None, branches=[], channels=[])
        for part in chunks(list(ids)):
            await self.session.execute(update(customer).where(customer.c.id.in_(part)), values)

    async def merged_into(self, ids: Iterable[str]) -> list[str]:
        """Customers whose direct survivor is one of ``ids``."""
        query = select(customer.c.id).where(customer.c.merged_into.in_(sorted(set(ids))))
        return [str(i) for i in await self.session.scalars(query)]

    async def subtree(self, root: str) -> list[str]:
        """``root`` and every customer merged into it, directly or through another merge."""
        found, frontier = [root], [root]
        while frontier:
            frontier = await self.merged_into(frontier)
            found += frontier
        return found


Row = Mapping[str, Any]


class KeyRepository:
    """Per-customer data keys, stored wrapped by the master key."""

    def __init__(self, session: AsyncSession, vault: Vault) -> None:
        self.session = session
        self.vault = vault
        self._cache: dict[str, bytes] = {}

    def new(self, ids: Sequence[str], *, at: dt.datetime) -> tuple[dict[str, bytes], list[Row]]:
        """A fresh data key per customer: the plain keys, and the rows to store (wrapped)."""
        rows: list[Row] = []
        plain: dict[str, bytes] = {}
        for customer_id in ids:
            data_key, wrapped = self.vault.new_data_key()
            plain[customer_id] = data_key
            rows.append(
                {
                    "customer_id": customer_id,
                    "wrapped_key": wrapped,
                    "master_key_id": self.vault.master_key_id,
                    "created_at": at,
                }
            )
        self._cache.update(plain)
        return plain, rows

    async def create(self, ids: Sequence[str], *, at: dt.datetime) -> dict[str, bytes]:
        """A new data key for each customer, stored wrapped; the plain keys."""
        plain, rows = self.new(ids, at=at)
        await insert_rows(self.session, customer_key, rows)
        return plain

    def remember(self, wrapped: Mapping[str, tuple[bytes, str]]) -> None:
        """Unwrap keys fetched alongside other rows (customer → (wrapped key, master key id))."""
        for customer_id, (key, master_key_id) in wrapped.items():
            if customer_id not in self._cache:
                self._cache[customer_id] = self.vault.unwrap(key, master_key_id)

    async def load(self, ids: Iterable[str]) -> dict[str, bytes]:
        """The unwrapped data keys of these customers (customers without one are left out)."""
        wanted = set(ids)
        missing = sorted(wanted - self._cache.keys())
        for part in chunks(missing):
            query = select(customer_key).where(customer_key.c.customer_id.in_(part))
            for row in await self.session.execute(query):
                self._cache[row.customer_id] = self.vault.unwrap(row.wrapped_key, row.master_key_id)
        return {i: self._cache[i] for i in wanted if i in self._cache}

    async def destroy(self, ids: Sequence[str]) -> None:
        """Delete the data keys: whatever they encrypted can never be read again."""
        for customer_id in ids:
            self._cache.pop(customer_id, None)
        for part in chunks(list(ids)):
            await self.session.execute(
                delete(customer_key).where(customer_key.c.customer_id.in_(part))
            )


class HistoryRepository:
    """The append-only history of each customer (no PII: ids, counts, actors)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Append history entries."""
        await insert_rows(self.session, customer_event, rows)

    async def of(self, customer_id: str, *, limit: int, before: int | None) -> list[Any]:
        """Newest first, ``limit`` entries older than the id ``before``."""
        query = select(customer_event).where(customer_event.c.customer_id == customer_id)
        if before is not None:
            query = query.where(customer_event.c.id < before)
        rows = await self.session.execute(query.order_by(customer_event.c.id.desc()).limit(limit))
        return list(rows)
