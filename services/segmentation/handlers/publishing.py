"""Publishing what changed, for settling and the recompute alike: one frame in, events out."""

from __future__ import annotations

import datetime as dt

import polars as pl

from services.segmentation.adapters.outbox import publish_frame
from services.segmentation.adapters.uow import SegmentationUoW
from shared.contracts import EventPayload, SegmentEntered, SegmentExited, ValueChanged


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _categories(column: str) -> pl.Expr:
    text = pl.col(column).fill_null("")
    empty = pl.lit([], dtype=pl.List(pl.String))
    return pl.when(text == "").then(empty).otherwise(text.str.split(",")).alias(column)


async def _publish(uow: SegmentationUoW, kind: type[EventPayload], data: pl.DataFrame) -> None:
    await publish_frame(
        uow.session,
        uow.tables,
        data,
        event_type=kind.event_type,
        topic=kind.topic,
        source=uow.source,
        now=uow.now(),
    )


async def publish_value_changes(uow: SegmentationUoW, changes: pl.DataFrame) -> None:
    """One ``value.changed`` per row of `publication.changed` (new and ``old_*`` values)."""
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
        pl.lit(_iso(uow.now())).alias("occurred_at"),
    )
    await _publish(uow, ValueChanged, data)


async def publish_membership_changes(
    uow: SegmentationUoW, *, entered: pl.DataFrame, exited: pl.DataFrame, names: dict[str, str]
) -> None:
    """``segment.entered`` / ``.exited`` per (segment_id, customer_id) row."""
    named = pl.DataFrame(
        {"segment_id": list(names), "segment_name": list(names.values())},
        schema={"segment_id": pl.String, "segment_name": pl.String},
    )
    for kind, pairs in ((SegmentEntered, entered), (SegmentExited, exited)):
        data = pairs.join(named, on="segment_id", how="left").select(
            "customer_id",
            "segment_id",
            pl.col("segment_name").fill_null(""),
            pl.lit(_iso(uow.now())).alias("occurred_at"),
        )
        await _publish(uow, kind, data)
