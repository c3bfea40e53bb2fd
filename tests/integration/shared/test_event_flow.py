"""One service's outbox to another's worker, through a real broker, exactly once in effect."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka_event
from sqlalchemy import Column, MetaData, String, Table, func, insert, select

from services.identity.bootstrap import bootstrap as identity_bootstrap
from services.segmentation.bootstrap import bootstrap as segmentation_bootstrap
from shared.contracts import CustomerRegistered
from shared.contracts.topics import IDENTITY_CUSTOMERS, dlq
from shared.messaging.kafka import make_producer
from tests.support import eventually, migrate, read_topic, running_worker, settings_for

pytestmark = pytest.mark.xdist_group("broker")


@pytest.fixture
def broker(own_broker: str) -> str:
    """These tests produce poison and replay dead letters: keep them off the shared broker."""
    return own_broker


received = Table(
    "test_received_event",
    MetaData(),
    Column("customer_id", String(64), nullable=False),
    Column("note", String(64)),
)


async def record_registration(event: CustomerRegistered, *, uow: Any) -> None:
    """A consumer's effect: one row per registration it processed."""
    if event.home_branch == "explode":
        raise ValueError("this registration cannot be processed")
    await uow.session.execute(insert(received).values(customer_id=event.customer_id))


SUBSCRIPTIONS = {CustomerRegistered.event_type: [record_registration]}


@pytest.fixture
async def pair(databases: dict[str, str], broker: str) -> Any:
    """An identity container (producer side) and a segmentation container (consumer side)."""
    await migrate("identity", databases["identity"])
    await migrate("segmentation", databases["segmentation"])
    producer = identity_bootstrap(
        settings_for("identity", database_url=databases["identity"], broker=broker)
    )
    consumer = segmentation_bootstrap(
        settings_for("segmentation", database_url=databases["segmentation"], broker=broker)
    )
    async with consumer.runtime.engine.begin() as connection:
        await connection.run_sync(received.metadata.create_all)
    yield producer, consumer
    await producer.runtime.close()
    await consumer.runtime.close()


async def publish(container: Any, customer_id: str, **fields: Any) -> str:
    async with container.uow() as uow:
        envelope = uow.publish(
            CustomerRegistered(
                customer_id=customer_id, kind="person", occurred_at=datetime.now(UTC), **fields
            )
        )
        await uow.commit()
    return envelope.id


async def count(container: Any, customer_id: str) -> int:
    async with container.runtime.sessions() as session:
        query = (
            select(func.count()).select_from(received).where(received.c.customer_id == customer_id)
        )
        return int(await session.scalar(query) or 0)


async def outbox_value(container: Any, event_id: str) -> bytes:
    outbox = container.runtime.tables.outbox
    async with container.runtime.sessions() as session:
        value = await session.scalar(select(outbox.c.value).where(outbox.c.event_id == event_id))
    return str(value).encode()


async def test_an_event_is_recorded_once_even_when_delivered_twice(pair: Any, broker: str) -> None:
    producer_side, consumer_side = pair
    customer = f"c-{uuid.uuid4().hex[:10]}"
    async with running_worker(producer_side, {}), running_worker(consumer_side, SUBSCRIPTIONS):
        event_id = await publish(producer_side, customer)
        await eventually(lambda: count(consumer_side, customer))
        duplicates = consumed(consumer_side, "duplicate")
        await redeliver(broker, customer, await outbox_value(producer_side, event_id))
        marker = f"c-{uuid.uuid4().hex[:10]}"
        await publish(producer_side, marker)  # same partition, after the duplicate
        await eventually(lambda: count(consumer_side, marker))
    assert await count(consumer_side, customer) == 1
    assert consumed(consumer_side, "duplicate") == duplicates + 1  # found in the inbox


def consumed(container: Any, outcome: str) -> float:
    """Registrations the container's consumer counted with ``outcome``."""
    name = f"{container.settings.service}_events_consumed_total"
    labels = {"topic": IDENTITY_CUSTOMERS, "type": CustomerRegistered.event_type}
    sample = container.runtime.metrics.registry.get_sample_value(
        name, labels | {"outcome": outcome}
    )
    return sample or 0.0


async def redeliver(broker: str, key: str, value: bytes) -> None:
    kafka = make_producer(
        settings_for("identity", database_url="sqlite://", broker=broker).kafka, client_id="t"
    )
    await kafka.start()
    try:
        await kafka.send_and_wait(IDENTITY_CUSTOMERS, value=value, key=key.encode())
    finally:
        await kafka.stop()


async def test_poison_records_go_to_the_dlq_and_the_next_record_is_processed(
    pair: Any, broker: str
) -> None:
    producer_side, consumer_side = pair
    customer = f"c-{uuid.uuid4().hex[:10]}"
    failing = f"c-{uuid.uuid4().hex[:10]}"
    async with running_worker(producer_side, {}), running_worker(consumer_side, SUBSCRIPTIONS):
        await redeliver(broker, customer, b'{"specversion": "1.0", "type": "broken"}')
        await publish(producer_side, failing, home_branch="explode")
        await publish(producer_side, customer)
        await eventually(lambda: count(consumer_side, customer))
    assert await count(consumer_side, failing) == 0
    dead = await dead_letters(broker, {customer, failing})
    assert sorted(dead) == sorted([customer, failing])
    assert "not a valid CloudEvent" in dead[customer]["dlq.error"]
    assert "cannot be processed" in dead[failing]["dlq.error"]
    assert dead[failing]["dlq.original.topic"] == IDENTITY_CUSTOMERS


async def dead_letters(broker: str, keys: set[str]) -> dict[str, dict[str, str]]:
    """The headers of the DLQ records with the given keys."""
    records = await read_topic(broker, dlq(IDENTITY_CUSTOMERS), keys=keys, count=len(keys))
    return {r.key.decode(): {k: v.decode() for k, v in r.headers} for r in records}


async def test_the_official_sdk_reads_a_record_taken_from_the_broker(
    pair: Any, broker: str
) -> None:
    producer_side, _ = pair
    customer = f"c-{uuid.uuid4().hex[:10]}"
    async with running_worker(producer_side, {}):
        event_id = await publish(producer_side, customer, home_branch="0101")
        [record] = await read_topic(broker, IDENTITY_CUSTOMERS, keys={customer})
    event = from_kafka_event(
        KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value)
    )
    assert event.get_id() == event_id
    assert event.get_type() == "identity.customer.registered.v1"
    assert event.get_subject() == customer
    assert event.get_data()["home_branch"] == "0101"
    assert dict(record.headers)["content-type"] == b"application/cloudevents+json"
