"""Events the recompute writes in bulk are the same CloudEvents as those written one by one."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl
import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka_event
from sqlalchemy import select

from services.segmentation.adapters.outbox import publish_frame
from shared.contracts import SegmentEntered
from shared.db.outbox_batch import BATCH_MIN, is_batch
from shared.envelope import decode, headers
from tests.integration.segmentation.kit import Published, customer_id
from tests.support import eventually

pytestmark = pytest.mark.xdist_group("segmentation")


async def publish_entered(uow: Any, data: pl.DataFrame, now: dt.datetime) -> int:
    """``segment.entered`` per row of ``data``, through the bulk writer."""
    return await publish_frame(
        uow.session,
        uow.tables,
        data,
        event_type=SegmentEntered.event_type,
        topic=SegmentEntered.topic,
        source=uow.source,
        now=now,
    )


async def test_bulk_written_events_decode_with_our_envelope_and_the_official_sdk(
    container: Any,
) -> None:
    customers = [customer_id(), customer_id()]
    now = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    data = pl.DataFrame(
        {
            "customer_id": customers,
            "segment_id": ["seg-1", "seg-1"],
            "segment_name": ["Champions", "Champions"],
            "occurred_at": ["2026-03-04T05:06:07Z"] * 2,
        }
    )
    async with container.uow() as uow:
        written = await publish_entered(uow, data, now)
        outbox = uow.tables.outbox
        rows = (
            await uow.session.execute(
                select(outbox.c.key, outbox.c.value, outbox.c.event_id).where(
                    outbox.c.key.in_(customers)
                )
            )
        ).all()
        await uow.rollback()

    assert written == 2 and len(rows) == 2
    for row in rows:
        envelope = decode(row.value.encode())
        payload = SegmentEntered.model_validate(envelope.data)
        assert (envelope.id, envelope.subject, envelope.partitionkey) == (
            row.event_id,
            row.key,
            row.key,
        )
        assert envelope.time == now and envelope.correlationid
        assert (payload.customer_id, payload.segment_name) == (row.key, "Champions")
        event = from_kafka_event(
            KafkaMessage(headers=dict(headers()), key=row.key.encode(), value=row.value.encode())
        )
        assert event.get_type() == SegmentEntered.event_type
        assert event.get_data()["segment_id"] == "seg-1"


async def test_a_large_frame_is_written_in_batches_and_relayed_one_record_per_event(
    worker: Any, published: Published
) -> None:
    prefix = customer_id("bulk")
    customers = [f"{prefix}-{i:05d}" for i in range(BATCH_MIN + 5)]
    data = pl.DataFrame(
        {
            "customer_id": customers,
            "segment_id": "seg-bulk",
            "segment_name": "Bulk",
            "occurred_at": "2026-03-04T05:06:07Z",
        }
    )
    now = dt.datetime.now(dt.UTC)
    async with worker.uow() as uow:
        written = await publish_entered(uow, data, now)
        outbox = uow.tables.outbox
        values = await uow.session.scalars(select(outbox.c.value).where(outbox.c.created_at == now))
        rows = list(values)
        await uow.commit()
    assert written == len(customers) and len(rows) == 1 and is_batch(rows[0])

    async def all_arrived() -> bool:
        return all(published.of(c, SegmentEntered) for c in customers)

    await eventually(all_arrived, timeout_s=60)
    for customer in customers:
        [event] = published.of(customer, SegmentEntered)
        assert (event.customer_id, event.segment_id, event.segment_name) == (
            customer,
            "seg-bulk",
            "Bulk",
        )
