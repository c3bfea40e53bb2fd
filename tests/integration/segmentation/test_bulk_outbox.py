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
from shared.envelope import decode, headers
from tests.integration.segmentation.kit import customer_id

pytestmark = pytest.mark.xdist_group("segmentation")


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
        written = await publish_frame(
            uow.session,
            uow.tables,
            data,
            event_type=SegmentEntered.event_type,
            topic=SegmentEntered.topic,
            source=uow.source,
            now=now,
        )
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
