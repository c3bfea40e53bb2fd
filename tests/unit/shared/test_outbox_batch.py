"""Batch outbox rows expand into exactly the envelopes a row per event would have carried."""

from __future__ import annotations

import datetime as dt
import uuid

import polars as pl
import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka_event

from shared import context
from shared.contracts import ValueChanged
from shared.db import outbox_batch
from shared.db.outbox_batch import expand, is_batch, outbox_rows
from shared.envelope import decode, headers

NOW = dt.datetime(2026, 3, 4, 5, 6, 7, 891000, tzinfo=dt.UTC)


def changes(n: int) -> pl.DataFrame:
    """``n`` first classifications, as the recompute publishes them."""
    new = pl.struct(
        pl.lit("mass").alias("tier"),
        pl.lit("C").alias("abc_class"),
        pl.lit(["growable"]).alias("categories"),
    )
    old = pl.struct(
        pl.lit(None, pl.String).alias("tier"),
        pl.lit(None, pl.String).alias("abc_class"),
        pl.lit([], pl.List(pl.String)).alias("categories"),
    )
    return pl.DataFrame({"customer_id": [f"c{i:06d}" for i in range(n)]}).with_columns(
        pl.lit("mass").alias("tier"),
        pl.lit("C").alias("abc_class"),
        pl.lit(["growable"]).alias("categories"),
        old.alias("old"),
        new.alias("new"),
        pl.lit("2026-03-04T05:06:07.891Z").alias("occurred_at"),
    )


def rows_for(data: pl.DataFrame) -> pl.DataFrame:
    return outbox_rows(
        data, event_type=ValueChanged.event_type, topic=ValueChanged.topic, source="s", now=NOW
    )


def test_few_events_get_a_row_each() -> None:
    rows = rows_for(changes(3))
    assert rows.height == 3 and not any(is_batch(v) for v in rows["value"])
    assert rows["key"].to_list() == ["c000000", "c000001", "c000002"]


def test_a_batch_expands_into_valid_envelopes_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox_batch, "BATCH_EVENTS", 400)
    data = changes(outbox_batch.BATCH_MIN + 1)
    token = context.correlation_id.set("corr-1")
    try:
        rows = rows_for(data)
    finally:
        context.correlation_id.reset(token)
    assert rows.height == 3 and rows["key"].null_count() == 3
    assert all(is_batch(v) for v in rows["value"])
    events = pl.concat([expand(v) for v in rows["value"]])
    assert events["key"].to_list() == data["customer_id"].to_list()
    assert rows["event_id"].to_list() == [expand(v)["event_id"][0] for v in rows["value"]]
    assert events["event_id"].is_unique().all()
    assert events["event_id"].to_list() == sorted(events["event_id"].to_list())
    for event_id, key, value in events.rows():
        envelope = decode(value.encode())
        payload = ValueChanged.model_validate(envelope.data)
        assert (envelope.id, envelope.subject, envelope.partitionkey) == (event_id, key, key)
        assert envelope.time == NOW and envelope.correlationid == "corr-1"
        assert envelope.source == "s" and envelope.type == ValueChanged.event_type
        assert payload.customer_id == key and payload.old.tier is None
    record = KafkaMessage(
        headers=dict(headers()), key=b"c000000", value=events["value"][0].encode()
    )
    assert from_kafka_event(record).get_data()["new"]["categories"] == ["growable"]


def test_a_batch_renders_the_same_events_every_time() -> None:
    value = rows_for(changes(outbox_batch.BATCH_MIN))["value"][0]
    assert expand(value).equals(expand(value))


def test_few_and_many_ids_render_alike_as_ascending_version_7_uuids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    few = outbox_batch.ordered_uuids(300, millis=1_700_000_000_000, seed=9).to_list()
    monkeypatch.setattr(outbox_batch, "_FEW", 0)
    many = outbox_batch.ordered_uuids(300, millis=1_700_000_000_000, seed=9).to_list()

    assert few == many
    parsed = [uuid.UUID(text) for text in few]
    assert all(u.version == 7 and str(u) == text for u, text in zip(parsed, few, strict=True))
    assert few == sorted(few) and len(set(few)) == 300


def test_nothing_to_publish_is_no_rows_of_the_same_shape() -> None:
    empty, some = rows_for(changes(0)), rows_for(changes(2))

    assert empty.is_empty() and empty.schema == some.schema


def test_events_carry_their_own_causes_escaped_in_rows_and_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(outbox_batch, "BATCH_EVENTS", 400)
    odd = 'a "quoted" \\ id'
    for n in (3, outbox_batch.BATCH_MIN + 1):
        data = changes(n).with_columns(
            pl.Series("correlationid", [odd, None] + ["c"] * (n - 2)),
            pl.Series("causationid", ["cause-0", None] + ["k"] * (n - 2)),
        )
        token = context.correlation_id.set('shared "one"')
        try:
            rows = rows_for(data)
        finally:
            context.correlation_id.reset(token)
        values = [v for row in rows["value"] for v in _values(row)]
        first, second = decode(values[0].encode()), decode(values[1].encode())

        assert len(values) == n
        assert (first.correlationid, first.causationid) == (odd, "cause-0")
        assert (second.correlationid, second.causationid) == ('shared "one"', None)
        assert "correlationid" not in first.data and "causationid" not in first.data


def _values(row: str) -> list[str]:
    return expand(row)["value"].to_list() if is_batch(row) else [row]
