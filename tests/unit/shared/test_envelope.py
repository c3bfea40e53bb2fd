"""The CloudEvents envelope: encoding, validation, and readability by the official SDK."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka_event

from shared.contracts import CustomerMerged
from shared.db.uow import build_envelope
from shared.envelope import CONTENT_TYPE, Envelope, EnvelopeError, decode, headers


def make_envelope(**overrides: object) -> Envelope:
    fields: dict[str, object] = {
        "source": "/services/identity",
        "type": "identity.customer.registered.v1",
        "subject": "c-1",
        "data": {"customer_id": "c-1"},
    }
    fields.update(overrides)
    return Envelope.model_validate(fields)


def test_round_trip_keeps_every_attribute() -> None:
    original = make_envelope(correlationid="corr-1", causationid="cause-1", partitionkey="c-1")
    again = decode(original.encode())
    assert again == original
    assert again.time.tzinfo is not None


def test_encoded_time_is_rfc3339_utc() -> None:
    body = json.loads(make_envelope(time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)).encode())
    assert body["time"] == "2026-01-02T03:04:05Z"
    assert body["specversion"] == "1.0"


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        (b"", "empty record value"),
        (b"not json", "not a valid CloudEvent"),
        (b'{"specversion":"0.3","source":"/s","type":"a.b.c.v1","data":{}}', "specversion"),
        (b'{"specversion":"1.0","source":"/s","type":"NoVersion","data":{}}', "type"),
        (b'{"specversion":"1.0","type":"a.b.c.v1","data":{}}', "source"),
        (
            b'{"specversion":"1.0","source":"/s","type":"a.b.c.v1","data":{},'
            b'"time":"2026-01-01T00:00:00"}',
            "UTC offset",
        ),
    ],
)
def test_decode_says_what_is_wrong(value: bytes, complaint: str) -> None:
    with pytest.raises(EnvelopeError, match=complaint):
        decode(value)


def test_official_sdk_reads_a_produced_record() -> None:
    payload = CustomerMerged(survivor_id="c-1", merged_id="c-2", occurred_at=datetime.now(UTC))
    envelope = build_envelope(payload, source="/services/identity")
    message = KafkaMessage(headers=dict(headers()), key=envelope.key, value=envelope.encode())
    event = from_kafka_event(message)
    assert event.get_type() == "identity.customer.merged.v1"
    assert event.get_source() == "/services/identity"
    assert event.get_subject() == "c-1"
    assert event.get_id() == envelope.id
    assert event.get_data() == {**payload.model_dump(mode="json"), "reason": ""}
    assert event.get_extension("correlationid") == envelope.correlationid
    assert dict(headers())["content-type"] == CONTENT_TYPE.encode()


def test_key_is_the_subject() -> None:
    assert make_envelope(subject="c-9").key == b"c-9"
    assert make_envelope(subject=None).key is None
