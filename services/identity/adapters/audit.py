"""The audit log of PII access: append-only and tamper-evident (a SHA-256 hash chain).

Each row stores ``row_hash = sha256(prev_hash + canonical JSON of the row's content)`` with
``prev_hash`` the previous row's ``row_hash`` (64 zeros for the first). Changing, deleting or
reordering any row breaks every hash after it, which `verify` reports. Appends take a
transaction-scoped advisory lock on PostgreSQL so concurrent writers cannot fork the chain.
The log holds who, what, when and correlation ids, never PII. Removing rows from the end is
only visible against a head hash kept elsewhere: ship ``head`` from `verify` off the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.adapters.orm import audit_log
from shared.db.arrays import is_postgres

GENESIS = "0" * 64
_LOCK = text("SELECT pg_advisory_xact_lock(7310431338)")  # one writer at a time per database


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One access to record: who did what to which customer, under which correlation id."""

    actor: str
    action: str
    customer_id: str | None
    resource: str
    correlation_id: str | None
    occurred_at: dt.datetime


@dataclass(frozen=True, slots=True)
class ChainCheck:
    """The outcome of verifying the chain."""

    ok: bool
    rows: int
    head: str
    first_bad_seq: int | None


def _iso(at: dt.datetime) -> str:
    aware = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).isoformat(timespec="microseconds")


def row_hash(prev_hash: str, seq: int, entry: AuditEntry) -> str:
    """sha256(prev_hash + canonical JSON of the row's content), hex."""
    content = [
        seq,
        _iso(entry.occurred_at),
        entry.actor,
        entry.action,
        entry.customer_id,
        entry.resource,
        entry.correlation_id,
    ]
    canonical = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


class AuditLog:
    """Appends to and verifies ``audit_log``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def append(self, entries: Sequence[AuditEntry]) -> None:
        """Chain and insert entries, in this transaction."""
        if not entries:
            return
        if is_postgres(self.session):
            await self.session.execute(_LOCK)
        last = (
            await self.session.execute(
                select(audit_log.c.seq, audit_log.c.row_hash)
                .order_by(audit_log.c.seq.desc())
                .limit(1)
            )
        ).first()
        seq, prev = (int(last.seq), str(last.row_hash)) if last else (0, GENESIS)
        rows = []
        for entry in entries:
            seq += 1
            digest = row_hash(prev, seq, entry)
            rows.append({"seq": seq, **_values(entry), "prev_hash": prev, "row_hash": digest})
            prev = digest
        await self.session.execute(insert(audit_log), rows)

    async def verify(self, *, page: int = 5000) -> ChainCheck:
        """Recompute every hash in order; the first row that does not fit, if any."""
        prev, expected_seq, count, after = GENESIS, 1, 0, 0
        while True:
            query = select(audit_log).where(audit_log.c.seq > after).order_by(audit_log.c.seq)
            rows = list(await self.session.execute(query.limit(page)))
            if not rows:
                return ChainCheck(True, count, prev, None)
            for row in rows:
                entry = AuditEntry(
                    row.actor,
                    row.action,
                    row.customer_id,
                    row.resource,
                    row.correlation_id,
                    row.occurred_at,
                )
                good = row.seq == expected_seq and row.prev_hash == prev
                if not good or row_hash(prev, row.seq, entry) != row.row_hash:
                    return ChainCheck(False, count, prev, int(row.seq))
                prev, expected_seq, count = row.row_hash, expected_seq + 1, count + 1
            after = int(rows[-1].seq)


def _values(entry: AuditEntry) -> dict[str, Any]:
    return {
        "occurred_at": entry.occurred_at,
        "actor": entry.actor,
        "action": entry.action,
        "customer_id": entry.customer_id,
        "resource": entry.resource,
        "correlation_id": entry.correlation_id,
    }
