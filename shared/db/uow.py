"""The unit of work: one database transaction holding a service's writes and its outgoing events."""

from __future__ import annotations

from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import context
from shared.contracts import EventPayload
from shared.db.messaging import MessagingTables
from shared.envelope import Envelope


class UnitOfWork:
    """``async with uow:`` opens a transaction; `commit` writes state and outbox rows together.

    Leaving the block without `commit` rolls everything back, events included. Services
    subclass it to attach their repositories in `__aenter__`.
    """

    session: AsyncSession

    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], tables: MessagingTables, *, source: str
    ) -> None:
        self._sessions = sessions
        self.tables = tables
        self.source = source
        self._pending: list[dict[str, Any]] = []

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self._pending = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.rollback()
        finally:
            await self.session.close()

    def publish(self, payload: EventPayload) -> Envelope:
        """Queue an event for the outbox; it is written by `commit`, in this transaction."""
        envelope = build_envelope(payload, source=self.source)
        self._pending.append(
            {
                "event_id": envelope.id,
                "topic": payload.topic,
                "key": envelope.partitionkey,
                "event_type": envelope.type,
                "value": envelope.encode().decode(),
                "created_at": datetime.now(UTC),
            }
        )
        return envelope

    async def flush(self) -> None:
        """Write queued outbox rows without committing (handlers rarely need this)."""
        if self._pending:
            await self.session.execute(insert(self.tables.outbox), self._pending)
            self._pending = []

    async def commit(self) -> None:
        """Commit the service's writes and the queued events atomically."""
        await self.flush()
        await self.session.commit()

    async def rollback(self) -> None:
        """Discard the transaction and the queued events."""
        self._pending = []
        await self.session.rollback()


def build_envelope(payload: EventPayload, *, source: str) -> Envelope:
    """Wrap a payload in a CloudEvent carrying the current correlation and causation ids."""
    subject = payload.subject()
    return Envelope(
        source=source,
        type=payload.event_type,
        subject=subject,
        partitionkey=subject,
        data=payload.model_dump(mode="json", by_alias=True),
        correlationid=context.correlation_id.get() or context.new_id(),
        causationid=context.causation_id.get(),
        traceparent=context.traceparent.get(),
    )
