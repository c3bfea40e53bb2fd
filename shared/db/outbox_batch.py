"""Outbox rows for whole frames of events, one row per event or one row per few thousand.

A bulk publication (a recompute valuing a million customers) would write ~550 bytes of envelope
per event: PostgreSQL alone needs seconds per million such rows. Beyond `BATCH_MIN` events the
rows are *batches*: each holds its events' common attributes, the seed of their ids and their
data as a compressed Arrow IPC frame; the relay `expand`\\ s a batch into exactly the records
one row per event would have carried. Both paths render envelopes with `envelopes`, so the
attributes are those `shared.db.uow.build_envelope` gives (the tests decode them with
`shared.envelope` and the official SDK).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
from typing import Any

import numpy as np
import polars as pl

from shared import context
from shared.db.timestamps import instant
from shared.envelope import utc_timestamp

MARKER = '{"eventbatch":1,'
BATCH_MIN = 1000
BATCH_EVENTS = 10_000
OUTBOX_COLUMNS = ("event_id", "topic", "key", "event_type", "value", "created_at")


def ordered_uuids(n: int, *, millis: int, seed: int, offset: int = 0) -> pl.Series:
    """``n`` version-7 UUIDs as text, ascending: the time in milliseconds, then a counter.

    Ascending ids go into the outbox's unique index at its right edge (RFC 9562, method 1
    counters). The random bits come from ``seed``, so a batch renders the same ids every time.
    """
    counter = np.arange(offset, offset + n, dtype=np.uint64)
    raw = np.random.default_rng(seed).integers(0, 256, size=(n, 16), dtype=np.uint8)
    raw[:, :6] = np.frombuffer(millis.to_bytes(6, "big"), dtype=np.uint8)
    raw[:, 6] = 0x70 | ((counter >> 40) & 0x0F).astype(np.uint8)
    raw[:, 7] = ((counter >> 32) & 0xFF).astype(np.uint8)
    raw[:, 8] = 0x80 | ((counter >> 26) & 0x3F).astype(np.uint8)
    for byte, shift in ((9, 18), (10, 10), (11, 2)):
        raw[:, byte] = ((counter >> shift) & 0xFF).astype(np.uint8)
    raw[:, 12] = ((counter & 0x03) << 6).astype(np.uint8) | (raw[:, 12] & 0x3F)
    if n <= _FEW:  # string slicing beats the fixed cost of a handful of polars queries
        text = raw.tobytes().hex()
        return pl.Series(
            [f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}" for h in _chunks32(text)],
            dtype=pl.String,
        )
    hexed = pl.Series(np.frombuffer(raw.tobytes().hex().encode(), dtype="S32")).cast(pl.String)
    parts = [hexed.str.slice(a, b - a) for a, b in ((0, 8), (8, 12), (12, 16), (16, 20), (20, 32))]
    frame = pl.DataFrame({str(i): part for i, part in enumerate(parts)})
    return frame.select(pl.concat_str(pl.all(), separator="-").alias("id")).to_series()


_FEW = 2_000
CAUSES = ("correlationid", "causationid")  # optional per-event columns of a publication
_ROWS = pl.Schema(
    {
        "event_id": pl.String(),
        "topic": pl.String(),
        "key": pl.String(),
        "event_type": pl.String(),
        "value": pl.String(),
        "created_at": pl.Datetime("us", "UTC"),
    }
)


def _chunks32(text: str) -> list[str]:
    return [text[i : i + 32] for i in range(0, len(text), 32)]


def _seed() -> int:
    return int.from_bytes(os.urandom(16), "big")


def envelopes(data: pl.DataFrame, head: dict[str, Any]) -> pl.DataFrame:
    """``event_id``, ``key`` and ``value`` (a structured-mode CloudEvent) per row of ``data``.

    ``head`` holds what the events share: source, type, time, correlation id, the column
    naming the subject (also the partition key), and the ids' millis, seed and counter offset.
    Columns `CAUSES` in ``data``, when present, give each event its own correlation and
    causation ids (a null correlation falls back to the shared one).
    """
    front = f'","source":"{head["source"]}","type":"{head["type"]}","subject":"'
    middle = f'","time":"{head["time"]}","datacontenttype":"application/json","data":'
    ids = ordered_uuids(
        data.height, millis=head["millis"], seed=head["seed"], offset=head["offset"]
    )
    events = data.select(
        ids.alias("event_id"),
        pl.col(head["subject"]).alias("key"),
        pl.struct(pl.exclude(CAUSES)).struct.json_encode().alias("data"),
        _causes(data, head["correlationid"]).alias("causes"),
    )
    value = pl.concat_str(
        pl.lit('{"specversion":"1.0","id":"'),
        "event_id",
        pl.lit(front),
        "key",
        pl.lit(middle),
        "data",
        pl.lit(","),
        "causes",
        pl.lit(',"partitionkey":"'),
        "key",
        pl.lit('"}'),
    )
    return events.select("event_id", "key", value.alias("value"))


def _causes(data: pl.DataFrame, correlation: str) -> pl.Expr:
    """The ``"correlationid":…`` (and ``"causationid":…``) members, JSON-escaped."""
    if CAUSES[0] not in data.columns:
        return pl.lit(f'"correlationid":{json.dumps(correlation)}')
    pair = pl.struct(
        pl.col(CAUSES[0]).fill_null(correlation), pl.col(CAUSES[1]).cast(pl.String)
    ).struct.json_encode()
    return pair.str.slice(1, pair.str.len_chars() - 2)  # without the braces


def outbox_rows(
    data: pl.DataFrame,
    *,
    event_type: str,
    topic: str,
    source: str,
    now: dt.datetime,
    subject: str = "customer_id",
) -> pl.DataFrame:
    """Outbox rows publishing one event per row of ``data`` (its ``subject`` column keys it)."""
    if data.is_empty():
        return pl.DataFrame(schema=_ROWS)
    head: dict[str, Any] = {
        "source": source,
        "type": event_type,
        "time": utc_timestamp(now),
        "correlationid": context.correlation_id.get() or context.new_id(),
        "subject": subject,
        "millis": int(now.timestamp() * 1000),
        "seed": _seed(),
        "offset": 0,
    }
    if data.height < BATCH_MIN:
        rows = envelopes(data, head)
    else:
        rows = pl.DataFrame([_batch(data, head, start) for start in _starts(data.height)])
    return rows.select(
        "event_id",
        pl.lit(topic).alias("topic"),
        pl.col("key").cast(pl.String),
        pl.lit(event_type).alias("event_type"),
        "value",
        instant(now).alias("created_at"),
    )


def _starts(n: int) -> range:
    return range(0, n, BATCH_EVENTS)


def _batch(data: pl.DataFrame, head: dict[str, Any], start: int) -> dict[str, Any]:
    """One batch row: the events ``start`` onwards (at most `BATCH_EVENTS`), keyed by none."""
    chunk = data.slice(start, BATCH_EVENTS)
    # Each chunk gets its own seed: its ids render alone, yet stay ascending across chunks.
    own = {**head, "seed": _seed(), "offset": start, "events": chunk.height}
    first = ordered_uuids(1, millis=own["millis"], seed=own["seed"], offset=start)[0]
    buffer = io.BytesIO()
    chunk.write_ipc(buffer, compression="zstd")
    own["frame"] = base64.b64encode(buffer.getvalue()).decode()
    body = json.dumps(own, separators=(",", ":"))
    return {"event_id": first, "key": None, "value": MARKER + body[1:]}


def is_batch(value: str) -> bool:
    """Whether an outbox row's value is a batch of events rather than one envelope."""
    return value.startswith(MARKER)


def expand(value: str) -> pl.DataFrame:
    """The ``event_id``, ``key`` and ``value`` of every event of a batch row, in order."""
    head = json.loads(value)
    data = pl.read_ipc(io.BytesIO(base64.b64decode(head["frame"])))
    return envelopes(data, head)
