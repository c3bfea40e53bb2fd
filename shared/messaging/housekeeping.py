"""Periodic clean-up of the inbox and idempotency tables, run by each worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete

from shared.messaging import inbox
from shared.runtime import Runtime

log = logging.getLogger(__name__)


async def prune_once(runtime: Runtime) -> None:
    """Forget inbox ids older than the broker's redelivery horizon and stale idempotency keys."""
    settings = runtime.settings
    tables = runtime.tables
    idempotency_cutoff = datetime.now(UTC) - timedelta(hours=settings.idempotency_retention_hours)
    async with runtime.sessions() as session, session.begin():
        await inbox.prune(
            session, tables.inbox, older_than=timedelta(days=settings.inbox_retention_days)
        )
        await session.execute(
            delete(tables.idempotency).where(tables.idempotency.c.created_at < idempotency_cutoff)
        )


async def run_housekeeping(
    runtime: Runtime, stop: asyncio.Event, *, every_s: float = 600.0
) -> None:
    """Prune every ``every_s`` seconds until ``stop`` is set; failures are logged and retried."""
    while not stop.is_set():
        try:
            await prune_once(runtime)
        except Exception as exc:  # the next round retries; nothing is lost by waiting
            log.warning("housekeeping failed: %r", exc)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)
