"""Publishing what changed, for settling and the recompute alike: one frame in, events out.

The ``*_rows`` functions only build outbox rows (CPU, so the recompute builds them in a thread
while its connection writes); the ``publish_*`` functions build and write them.
"""

from __future__ import annotations

import polars as pl
from sqlalchemy.ext.asyncio import AsyncSession

from services.segmentation.adapters.bulk import insert_frame
from services.segmentation.adapters.uow import SegmentationUoW
from shared.contracts import EventPayload, SegmentEntered, SegmentExited, ValueChanged
from shared.db.outbox_batch import CAUSES, outbox_rows
from shared.envelope import utc_timestamp


def _categories(column: str) -> pl.Expr:
    text = pl.col(column).fill_null("")
    empty = pl.lit([], dtype=pl.List(pl.String))
    return pl.when(text == "").then(empty).otherwise(text.str.split(",")).alias(column)


def _rows(uow: SegmentationUoW, kind: type[EventPayload], data: pl.DataFrame) -> pl.DataFrame:
    return outbox_rows(
        _with_causes(data, uow.activity.causes),
        event_type=kind.event_type,
        topic=kind.topic,
        source=uow.source,
        now=uow.now(),
    )


def _with_causes(
    data: pl.DataFrame, causes: dict[str, tuple[str | None, str | None]]
) -> pl.DataFrame:
    """Each customer's event carries the ids of the event folded last for them, if any."""
    if not causes or data.is_empty():
        return data
    ids = list(causes)
    frame = pl.DataFrame(
        {
            "customer_id": ids,
            CAUSES[0]: [causes[i][0] for i in ids],
            CAUSES[1]: [causes[i][1] for i in ids],
        },
        schema={"customer_id": pl.String, CAUSES[0]: pl.String, CAUSES[1]: pl.String},
    )
    return data.join(frame, on="customer_id", how="left", maintain_order="left")


def value_change_rows(uow: SegmentationUoW, changes: pl.DataFrame) -> pl.DataFrame:
    """Outbox rows: one ``value.changed`` per row of `publication.changed` (new and ``old_*``)."""
    new = pl.struct(pl.col("tier"), pl.col("abc_class"), _categories("categories"))
    old = pl.struct(
        pl.col("old_tier").alias("tier"),
        pl.col("old_abc_class").alias("abc_class"),
        _categories("old_categories").alias("categories"),
    )
    data = changes.select(
        "customer_id",
        "tier",
        "abc_class",
        _categories("categories"),
        old.alias("old"),
        new.alias("new"),
        pl.lit(utc_timestamp(uow.now())).alias("occurred_at"),
    )
    return _rows(uow, ValueChanged, data)


def membership_change_rows(
    uow: SegmentationUoW, *, entered: pl.DataFrame, exited: pl.DataFrame, names: dict[str, str]
) -> pl.DataFrame:
    """Outbox rows: ``segment.entered`` / ``.exited`` per (segment_id, customer_id) row."""
    named = pl.DataFrame(
        {"segment_id": list(names), "segment_name": list(names.values())},
        schema={"segment_id": pl.String, "segment_name": pl.String},
    )
    frames = []
    for kind, pairs in ((SegmentEntered, entered), (SegmentExited, exited)):
        data = pairs.join(named, on="segment_id", how="left", maintain_order="left").select(
            "customer_id",
            "segment_id",
            pl.col("segment_name").fill_null(""),
            pl.lit(utc_timestamp(uow.now())).alias("occurred_at"),
        )
        frames.append(_rows(uow, kind, data))
    return pl.concat(frames)


async def write_events(
    uow: SegmentationUoW, rows: pl.DataFrame, *, session: AsyncSession | None = None
) -> None:
    """Write outbox rows built by the functions above, in this transaction (or ``session``'s)."""
    await insert_frame(session or uow.session, uow.tables.outbox, rows)


async def publish_value_changes(uow: SegmentationUoW, changes: pl.DataFrame) -> None:
    """Publish `value_change_rows`."""
    await write_events(uow, value_change_rows(uow, changes))


async def publish_membership_changes(
    uow: SegmentationUoW, *, entered: pl.DataFrame, exited: pl.DataFrame, names: dict[str, str]
) -> None:
    """Publish `membership_change_rows`."""
    await write_events(
        uow, membership_change_rows(uow, entered=entered, exited=exited, names=names)
    )
