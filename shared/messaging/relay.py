"""The outbox relay: publishes committed outbox rows in id order, then marks them sent.

Only one relay of a service publishes at a time (a PostgreSQL transaction-level advisory lock),
so rows leave in commit order and one customer's events stay in order. A crash between the
broker's ack and the mark re-sends a few rows: consumers de-duplicate by event id. A batch row
(`shared.db.outbox_batch`) leaves as its events, in their order, in a transaction of its own
with the plain rows before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from aiokafka import AIOKafkaProducer
from sqlalchemy import Row, Table, case, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.outbox_batch import MARKER, expand
from shared.envelope import headers
from shared.metrics import Metrics

log = logging.getLogger(__name__)


class Record(NamedTuple):
    """One Kafka record to produce."""

    topic: str
    event_type: str
    key: str | None
    value: str


class OutboxRelay:
    """Moves outbox rows to the broker; backs off while the broker is down."""

    def __init__(
        self,
        *,
        name: str,
        sessions: async_sessionmaker[AsyncSession],
        outbox: Table,
        producer: AIOKafkaProducer,
        metrics: Metrics,
        batch_size: int = 500,
        poll_interval_s: float = 0.1,
        retention: timedelta = timedelta(days=7),
    ) -> None:
        self.sessions = sessions
        self.outbox = outbox
        self.producer = producer
        self.metrics = metrics
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        self.retention = retention
        self._lock_key = zlib.crc32(f"outbox:{name}".encode())

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until ``stop`` is set; an idle relay polls every ``poll_interval_s``."""
        delay = self.poll_interval_s
        ticks = 0
        while not stop.is_set():
            try:
                sent = await self.publish_pending()
                delay = self.poll_interval_s
            except Exception as exc:  # broker or database down: keep the rows, wait, retry
                log.warning("outbox relay failed (%r); retrying in %.1fs", exc, delay)
                sent, delay = 0, min(delay * 2, 5.0)
            ticks += 1
            if ticks % 50 == 1:
                await self._housekeep()
            if sent < self.batch_size:
                await _sleep_or_stop(stop, delay)

    async def publish_pending(self) -> int:
        """Publish the next unsent rows in id order; return how many events were sent."""
        async with self.sessions() as session, session.begin():
            if not await self._leader(session):
                return 0
            rows = await self._next_rows(session)
            if not rows:
                return 0
            sent = await self._send([r for row in rows for r in await self._records(session, row)])
            await session.execute(
                update(self.outbox)
                .where(self.outbox.c.id.in_([r.id for r in rows]))
                .values(sent_at=datetime.now(UTC))
            )
        return sent

    async def _next_rows(self, session: AsyncSession) -> list[Row[Any, Any, Any, Any, Any]]:
        """Up to ``batch_size`` unsent rows, ending at the first batch row (value not fetched)."""
        batch = func.substr(self.outbox.c.value, 1, len(MARKER)) == MARKER
        rows = (
            await session.execute(
                select(
                    self.outbox.c.id,
                    self.outbox.c.topic,
                    self.outbox.c.key,
                    self.outbox.c.event_type,
                    case((batch, None), else_=self.outbox.c.value).label("value"),
                )
                .where(self.outbox.c.sent_at.is_(None))
                .order_by(self.outbox.c.id)
                .limit(self.batch_size)
            )
        ).all()
        plain = next((i for i, row in enumerate(rows) if row.value is None), len(rows) - 1)
        return list(rows[: plain + 1])

    async def _send(self, records: Sequence[Record]) -> int:
        # The producer keeps per-partition order for sends issued in sequence; wait for all acks.
        futures = [
            await self.producer.send(
                r.topic,
                value=r.value.encode(),
                key=r.key.encode() if r.key else None,
                headers=headers(),
            )
            for r in records
        ]
        await asyncio.gather(*futures)
        for (topic, event_type), count in Counter((r.topic, r.event_type) for r in records).items():
            self.metrics.events_produced.labels(topic, event_type).inc(count)
        return len(records)

    async def _records(
        self, session: AsyncSession, row: Row[Any, Any, Any, Any, Any]
    ) -> list[Record]:
        """The records of a row: itself, or the events of a batch row."""
        if row.value is not None:
            return [Record(row.topic, row.event_type, row.key, row.value)]
        value = await session.scalar(select(self.outbox.c.value).where(self.outbox.c.id == row.id))
        events = expand(value or "")
        return [
            Record(row.topic, row.event_type, key, text)
            for key, text in zip(events["key"].to_list(), events["value"].to_list(), strict=True)
        ]

    async def _leader(self, session: AsyncSession) -> bool:
        if session.get_bind().dialect.name != "postgresql":
            return True
        result = await session.execute(
            text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": self._lock_key}
        )
        return bool(result.scalar())

    async def _housekeep(self) -> None:
        """Update the backlog gauge and prune rows sent longer ago than the retention."""
        try:
            async with self.sessions() as session, session.begin():
                backlog = await session.scalar(
                    select(func.count())
                    .select_from(self.outbox)
                    .where(self.outbox.c.sent_at.is_(None))
                )
                self.metrics.outbox_backlog.set(backlog or 0)
                cutoff = datetime.now(UTC) - self.retention
                await session.execute(delete(self.outbox).where(self.outbox.c.sent_at < cutoff))
        except Exception as exc:
            log.warning("outbox housekeeping failed: %r", exc)


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
