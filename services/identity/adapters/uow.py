"""The identity service's unit of work: one transaction, its repositories and its locks.

Locking (PostgreSQL; SQLite serializes writers by itself): a single ``identify`` takes the
registry lock shared plus an exclusive lock per blocking-key hash, so two requests about the
same person run one after the other (the second sees the first's customer) while unrelated
requests run in parallel. A batch, a merge, an unmerge, a review decision and an erasure take
the registry lock exclusively: they move many records and must not interleave with a link.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Self

from sqlalchemy import ARRAY, Integer, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.identity.adapters.audit import AuditLog
from services.identity.adapters.customers import (
    CustomerRepository,
    HistoryRepository,
    KeyRepository,
)
from services.identity.adapters.models import ModelCache, ModelRepository
from services.identity.adapters.records import RecordRepository
from services.identity.adapters.reviews import ReviewRepository
from services.identity.adapters.vault import Vault
from services.identity.adapters.writer import write_finish, write_new
from shared.db import MessagingTables, UnitOfWork
from shared.db.arrays import is_postgres

# Two-int4 advisory-lock keys (a key space apart from the one-bigint locks of migrations).
_REGISTRY_NS, _KEY_NS = 731_043, 731_044
_EXCLUSIVE = text("SELECT pg_advisory_xact_lock(:ns, 0)")
# One round trip. Taking a key lock before the shared one could not deadlock either: the
# exclusive holders (batches, merges, erasures) never wait for a key lock.
_SHARED_THEN_KEYS = text(
    """
    WITH registry AS (SELECT pg_advisory_xact_lock_shared(:ns, 0))
    SELECT (SELECT count(*) FROM registry),
           (SELECT count(pg_advisory_xact_lock(:kns, k))
            FROM unnest(CAST(:keys AS integer[])) AS k)
    """
).bindparams(bindparam("keys", type_=ARRAY(Integer)))


class IdentityUnitOfWork(UnitOfWork):
    """A transaction with the identity repositories attached."""

    records: RecordRepository
    customers: CustomerRepository
    keys: KeyRepository
    history: HistoryRepository
    reviews: ReviewRepository
    models: ModelRepository
    audit: AuditLog

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        tables: MessagingTables,
        *,
        source: str,
        vault: Vault,
        model_cache: ModelCache,
    ) -> None:
        super().__init__(sessions, tables, source=source)
        self.vault = vault
        self._model_cache = model_cache
        self._summaries: list[Mapping[str, Any]] = []
        self._summaries_at: dt.datetime | None = None

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        session = self.session
        self.records = RecordRepository(session)
        self.customers = CustomerRepository(session)
        self.keys = KeyRepository(session, self.vault)
        self.history = HistoryRepository(session)
        self.reviews = ReviewRepository(session)
        self.models = ModelRepository(session, self._model_cache)
        self.audit = AuditLog(session)
        self._summaries = []
        return self

    def queue_summaries(self, changes: Sequence[Mapping[str, Any]], *, at: dt.datetime) -> None:
        """Customer summaries to store with the outbox rows, at `flush` (see ``set_summaries``)."""
        self._summaries += changes
        self._summaries_at = at

    async def flush(self) -> None:
        """Write queued summaries and outbox rows: one statement on PostgreSQL."""
        summaries, self._summaries = self._summaries, []
        if not is_postgres(self.session):
            if summaries and self._summaries_at is not None:
                await self.customers.set_summaries(summaries, at=self._summaries_at)
            await super().flush()
            return
        outbox, self._pending = self._pending, []
        await write_finish(
            self.session,
            self.tables.outbox,
            summaries=summaries,
            at=self._summaries_at,
            outbox_rows=outbox,
        )

    async def rollback(self) -> None:
        """Discard the transaction, the queued events and the queued summaries."""
        self._summaries = []
        await super().rollback()

    async def write_new(self, **parts: Sequence[Any]) -> list[int]:
        """Insert new customers, keys, records, key rows and history (see ``writer``)."""
        ids, joined = await write_new(self.session, **parts)
        self.customers.know(joined)  # the summary refresh reads them without a round trip
        return ids

    async def lock_registry(self) -> None:
        """Exclusive: no identify, merge or erasure runs beside this transaction."""
        if is_postgres(self.session):
            await self.session.execute(_EXCLUSIVE, {"ns": _REGISTRY_NS})

    async def lock_keys(self, hashes: Iterable[bytes]) -> None:
        """Shared registry lock, then the given blocking-key hashes, in a fixed order."""
        if not is_postgres(self.session):
            return
        keys = sorted({int.from_bytes(h[:4], "big", signed=True) for h in hashes})
        await self.session.execute(
            _SHARED_THEN_KEYS, {"ns": _REGISTRY_NS, "kns": _KEY_NS, "keys": keys}
        )
