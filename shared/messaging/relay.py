"""The outbox relay: publishes committed outbox rows in id order, then marks them sent.

Only one relay of a service publishes at a time (a PostgreSQL transaction-level advisory lock),
so rows leave in commit order and one customer's events stay in order. A crash between the
broker's ack and the mark re-sends a few rows: consumers de-duplicate by event id.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaProducer
from sqlalchemy import Row, Table, delete, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.envelope import headers
from shared.metrics import Metrics

log = logging.getLogger(__name__)


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
        """Publish one batch of unsent rows in id order; return how many were sent."""
        async with self.sessions() as session, session.begin():
            if not await self._leader(session):
                return 0
            rows = (
                await session.execute(
                    select(
                        self.outbox.c.id,
                        self.outbox.c.topic,
                        self.outbox.c.key,
                        self.outbox.c.event_type,
                        self.outbox.c.value,
                    )
                    .where(self.outbox.c.sent_at.is_(None))
                    .order_by(self.outbox.c.id)
                    .limit(self.batch_size)
                )
            ).all()
            if not rows:
                return 0
            await self._send(rows)
            await session.execute(
                update(self.outbox)
                .where(self.outbox.c.id.in_([r.id for r in rows]))
                .values(sent_at=datetime.now(UTC))
            )
        return len(rows)

    async def _send(self, rows: Sequence[Row[Any, Any, Any, Any, Any]]) -> None:
        # The producer keeps per-partition order for sends issued in sequence; wait for all acks.
        futures = [
            await self.producer.send(
                row.topic,
                value=row.value.encode(),
                key=row.key.encode() if row.key else None,
                headers=headers(),
            )
            for row in rows
        ]
        await asyncio.gather(*futures)
        for row in rows:
            self.metrics.events_produced.labels(row.topic, row.event_type).inc()

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
