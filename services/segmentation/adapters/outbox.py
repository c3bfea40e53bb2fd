"""Many outbox rows at once: CloudEvents envelopes assembled column-wise by polars.

The recompute may publish hundreds of thousands of events (a first valuation, a new month's
baselines); building each through pydantic would take minutes, and a row per event would still
take PostgreSQL seconds per million. `shared.db.outbox_batch` writes a row per event for a few,
and batch rows the relay expands for many; the events on the broker are the same either way.
"""

from __future__ import annotations

import datetime as dt

import polars as pl
from sqlalchemy.ext.asyncio import AsyncSession

from services.segmentation.adapters.bulk import insert_frame
from shared.db import MessagingTables
from shared.db.outbox_batch import outbox_rows


async def publish_frame(
    session: AsyncSession,
    tables: MessagingTables,
    data: pl.DataFrame,
    *,
    event_type: str,
    topic: str,
    source: str,
    now: dt.datetime,
) -> int:
    """Write one event per row of ``data`` (its ``customer_id`` is the subject and key)."""
    if data.is_empty():
        return 0
    rows = outbox_rows(data, event_type=event_type, topic=topic, source=source, now=now)
    await insert_frame(session, tables.outbox, rows)
    return data.height
