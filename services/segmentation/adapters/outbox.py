"""Many outbox rows at once: CloudEvents envelopes assembled column-wise by polars.

The recompute may publish hundreds of thousands of events (a first valuation, a new month's
baselines); building each through pydantic would take minutes. The envelopes here have exactly
the attributes `shared.uow.build_envelope` gives (the tests decode them with `shared.envelope`).
"""

from __future__ import annotations

import datetime as dt
import os

import numpy as np
import polars as pl
from sqlalchemy.ext.asyncio import AsyncSession

from services.segmentation.adapters.bulk import insert_frame
from shared import context
from shared.db import MessagingTables


def ordered_uuids(n: int, *, now: dt.datetime) -> pl.Series:
    """``n`` version-7 UUIDs as text, ascending: the time in milliseconds, then a counter.

    Ascending ids go into the outbox's unique index at its right edge, which for a million
    rows is several times cheaper than scattering random ones (RFC 9562, method 1 counters).
    """
    millis = int(now.timestamp() * 1000)
    counter = np.arange(n, dtype=np.uint64)
    raw = np.frombuffer(os.urandom(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, :6] = np.frombuffer(millis.to_bytes(6, "big"), dtype=np.uint8)
    raw[:, 6] = 0x70 | ((counter >> 40) & 0x0F).astype(np.uint8)
    raw[:, 7] = ((counter >> 32) & 0xFF).astype(np.uint8)
    raw[:, 8] = 0x80 | ((counter >> 26) & 0x3F).astype(np.uint8)
    for byte, shift in ((9, 18), (10, 10), (11, 2)):
        raw[:, byte] = ((counter >> shift) & 0xFF).astype(np.uint8)
    raw[:, 12] = ((counter & 0x03) << 6).astype(np.uint8) | (raw[:, 12] & 0x3F)
    hexed = pl.Series(np.frombuffer(raw.tobytes().hex().encode(), dtype="S32")).cast(pl.String)
    parts = [hexed.str.slice(a, b - a) for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))]
    frame = pl.DataFrame({str(i): part for i, part in enumerate(parts)})
    return frame.select(pl.concat_str(pl.all(), separator="-").alias("id")).to_series()


def _timestamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


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
    rows = envelopes(data, event_type=event_type, topic=topic, source=source, now=now)
    await insert_frame(session, tables.outbox, rows)
    return rows.height


def envelopes(
    data: pl.DataFrame, *, event_type: str, topic: str, source: str, now: dt.datetime
) -> pl.DataFrame:
    """Outbox rows: a structured-mode CloudEvent per row of ``data`` (its ``data``)."""
    correlation = context.correlation_id.get() or context.new_id()
    head = f'","source":"{source}","type":"{event_type}","subject":"'
    middle = f'","time":"{_timestamp(now)}","datacontenttype":"application/json","data":'
    tail = f',"correlationid":"{correlation}","partitionkey":"'
    events = data.select(
        ordered_uuids(data.height, now=now).alias("event_id"),
        pl.col("customer_id").alias("key"),
        pl.struct(pl.all()).struct.json_encode().alias("data"),
    )
    value = pl.concat_str(
        pl.lit('{"specversion":"1.0","id":"'),
        "event_id",
        pl.lit(head),
        "key",
        pl.lit(middle),
        "data",
        pl.lit(tail),
        "key",
        pl.lit('"}'),
    )
    return events.select(
        "event_id",
        pl.lit(topic).alias("topic"),
        "key",
        pl.lit(event_type).alias("event_type"),
        value.alias("value"),
        pl.lit(now).alias("created_at"),
    )
