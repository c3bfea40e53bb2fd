"""A first valuation publishes one ``value.changed`` per customer and one ``segment.entered`` per
new member, through batch rows of the outbox, and the next day only what changed."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka_event
from sqlalchemy import func, select

from bench.segmentation_population import TODAY, Clock, load
from services.segmentation.adapters import bulk
from services.segmentation.adapters.orm import customer_value, messaging, segment, segment_member
from services.segmentation.bootstrap import bootstrap
from services.segmentation.handlers.recompute import recompute_and_store
from shared.contracts import CONTRACTS, SegmentEntered, SegmentExited, ValueChanged
from shared.db.outbox_batch import BATCH_MIN, expand, is_batch
from shared.envelope import decode, headers
from tests.support import migrate, settings_for

pytestmark = pytest.mark.xdist_group("segmentation")

CUSTOMERS = BATCH_MIN + 500


@pytest.mark.parametrize("rebuild", [False, True], ids=["indexes-kept", "indexes-rebuilt"])
async def test_a_first_valuation_publishes_every_classification_and_new_membership(
    fresh_database: str, rebuild: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if rebuild:  # as a first valuation of 100,000 customers or more does
        monkeypatch.setattr(bulk, "_REBUILD_FROM", 0)
    await migrate("segmentation", fresh_database)
    clock = Clock(TODAY)
    container = bootstrap(settings_for("segmentation", database_url=fresh_database), clock=clock)
    try:
        await load(container, CUSTOMERS)
        members_before, last_id = await memberships(container), await last_outbox_id(container)
        report = await recompute_now(container)
        rows, events = await events_since(container, last_id)
        values, members = await stored_values(container), await memberships(container)
        names = await segment_names(container)

        assert any(is_batch(value) for _, value in rows)
        assert len({e.id for e in events}) == len(events)
        assert all(e.time == TODAY and e.subject == e.partitionkey for e in events)
        changed = [e for e in events if e.type == ValueChanged.event_type]
        assert report.value_changes == len(changed) == len(values) == CUSTOMERS
        for envelope in changed:
            payload = ValueChanged.model_validate(envelope.data)
            tier, abc_class, categories = values[payload.customer_id]
            assert (payload.tier, payload.abc_class, payload.categories) == (
                tier,
                abc_class,
                categories,
            )
            assert (payload.new.tier, payload.new.abc_class) == (tier, abc_class)
            assert payload.new.categories == categories
            assert (payload.old.tier, payload.old.abc_class, payload.old.categories) == (
                None,
                None,
                [],
            )
            assert payload.occurred_at == TODAY
        entered = [
            SegmentEntered.model_validate(e.data)
            for e in events
            if e.type == SegmentEntered.event_type
        ]
        assert not [e for e in events if e.type == SegmentExited.event_type]
        assert report.segment_entries == len(entered) == len(members - members_before) > 0
        assert {(e.segment_id, e.customer_id) for e in entered} == members - members_before
        assert all(e.segment_name == names[e.segment_id] for e in entered)
        assert Counter(e.type for e in events).keys() == {
            ValueChanged.event_type,
            SegmentEntered.event_type,
        }

        clock.now += dt.timedelta(days=1)
        last_id = await last_outbox_id(container)
        report = await recompute_now(container)
        _, events = await events_since(container, last_id)
        kinds = Counter(e.type for e in events)
        assert kinds[ValueChanged.event_type] == report.value_changes
        assert kinds[SegmentEntered.event_type] == report.segment_entries
        assert kinds[SegmentExited.event_type] == report.segment_exits
    finally:
        await container.runtime.close()


async def recompute_now(container: Any) -> Any:
    return await recompute_and_store(container.uow())


async def last_outbox_id(container: Any) -> int:
    async with container.runtime.sessions() as session:
        return int(await session.scalar(select(func.max(messaging.outbox.c.id))) or 0)


async def events_since(container: Any, last_id: int) -> tuple[list[tuple[Any, str]], list[Any]]:
    """The outbox rows written after ``last_id`` and the envelopes they carry, in order.

    Each envelope is decoded from the record value as the relay sends it, by our envelope and
    by the official SDK.
    """
    outbox = messaging.outbox
    async with container.runtime.sessions() as session:
        query = select(outbox.c.key, outbox.c.value).where(outbox.c.id > last_id)
        rows = [(r.key, r.value) for r in (await session.execute(query.order_by(outbox.c.id)))]
    records: list[tuple[str, str]] = []
    for key, value in rows:
        if is_batch(value):
            records += expand(value).select("key", "value").rows()
        else:
            records.append((key, value))
    envelopes = []
    for key, value in records:
        envelope = decode(value.encode())
        CONTRACTS[envelope.type].model_validate(envelope.data)
        message = KafkaMessage(headers=dict(headers()), key=key.encode(), value=value.encode())
        assert from_kafka_event(message).get_id() == envelope.id
        envelopes.append(envelope)
    return rows, envelopes


async def stored_values(container: Any) -> dict[str, tuple[str, str, list[str]]]:
    t = customer_value
    async with container.runtime.sessions() as session:
        rows = await session.execute(
            select(t.c.customer_id, t.c.tier, t.c.abc_class, t.c.categories)
        )
        return {r[0]: (r[1], r[2], r[3].split(",") if r[3] else []) for r in rows}


async def memberships(container: Any) -> set[tuple[str, str]]:
    t = segment_member
    async with container.runtime.sessions() as session:
        return {
            (r[0], r[1]) for r in await session.execute(select(t.c.segment_id, t.c.customer_id))
        }


async def segment_names(container: Any) -> dict[str, str]:
    async with container.runtime.sessions() as session:
        return {r[0]: r[1] for r in await session.execute(select(segment.c.id, segment.c.name))}
