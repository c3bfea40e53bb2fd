"""The outbox relay: rows wait while the broker is down, then leave in order, exactly as written."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pytest
from sqlalchemy import func, insert, select

from idic.broker import TansuBroker, free_port
from services.lifecycle.bootstrap import bootstrap
from shared.contracts import CustomerUpdated
from shared.contracts.topics import IDENTITY_CUSTOMERS
from shared.db.outbox_batch import BATCH_MIN, outbox_rows
from shared.envelope import decode
from shared.messaging.kafka import make_producer
from shared.messaging.relay import OutboxRelay
from tests.support import eventually, migrate, read_topic, running_worker, settings_for

pytestmark = pytest.mark.xdist_group("broker")


@pytest.fixture
def broker(own_broker: str) -> str:
    """These tests produce poison and replay dead letters: keep them off the shared broker."""
    return own_broker


async def unsent(container: Any) -> int:
    outbox = container.runtime.tables.outbox
    async with container.runtime.sessions() as session:
        query = select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
        return int(await session.scalar(query) or 0)


async def write_events(container: Any, customer: str, n: int) -> None:
    async with container.uow() as uow:
        for seq in range(n):
            uow.publish(
                CustomerUpdated(
                    customer_id=customer,
                    kind="person",
                    changed=[str(seq)],
                    occurred_at=datetime.now(UTC),
                )
            )
        await uow.commit()


async def consume_changes(broker: str, customer: str, n: int) -> list[int]:
    """The sequence numbers of the customer's first ``n`` updates, in topic order."""
    records = await read_topic(broker, IDENTITY_CUSTOMERS, keys={customer}, count=n)
    return [int(decode(r.value).data["changed"][0]) for r in records]


async def test_rows_wait_for_a_down_broker_then_leave_in_order(databases: dict[str, str]) -> None:
    await migrate("lifecycle", databases["lifecycle"])
    port = free_port()
    container = bootstrap(
        settings_for("lifecycle", database_url=databases["lifecycle"], broker=f"127.0.0.1:{port}")
    )
    customer = f"c-{uuid.uuid4().hex[:10]}"
    try:
        before = await unsent(container)
        await write_events(container, customer, 30)
        producer = make_producer(container.runtime.settings.kafka, client_id="t")
        with pytest.raises(Exception):  # noqa: B017 - the broker is down: any client error
            await producer.start()
        await producer.stop()
        assert await unsent(container) == before + 30
        with TansuBroker(port=port):
            async with running_worker(container, {}):
                await eventually(lambda: _equals(unsent(container), 0))
                order = await consume_changes(f"127.0.0.1:{port}", customer, 30)
        assert order == list(range(30))
    finally:
        await container.runtime.close()


async def _equals(value: Any, expected: int) -> bool:
    return await value == expected


async def test_a_restarted_relay_resumes_where_the_last_one_stopped(
    databases: dict[str, str], broker: str
) -> None:
    await migrate("lifecycle", databases["lifecycle"])
    container = bootstrap(
        settings_for("lifecycle", database_url=databases["lifecycle"], broker=broker)
    )
    customer = f"c-{uuid.uuid4().hex[:10]}"
    try:
        await write_events(container, customer, 25)
        assert await relay_once(container) == 10  # then the process "dies"
        while await relay_once(container):  # a new process, a new producer
            pass
        assert await unsent(container) == 0
        assert await consume_changes(broker, customer, 25) == list(range(25))
    finally:
        await container.runtime.close()


async def relay_once(container: Any) -> int:
    """One batch of 10 by a freshly started relay."""
    producer = make_producer(container.runtime.settings.kafka, client_id="t")
    await producer.start()
    try:
        relay = OutboxRelay(
            name="lifecycle",
            sessions=container.runtime.sessions,
            batch_size=10,
            outbox=container.runtime.tables.outbox,
            producer=producer,
            metrics=container.runtime.metrics,
        )
        return await relay.publish_pending()
    finally:
        await producer.stop()


async def test_a_batch_row_leaves_as_its_events_between_the_rows_around_it(
    fresh_database: str, broker: str
) -> None:
    await migrate("lifecycle", fresh_database)
    container = bootstrap(settings_for("lifecycle", database_url=fresh_database, broker=broker))
    customer = f"c-{uuid.uuid4().hex[:10]}"
    batched = BATCH_MIN + 2
    try:
        await write_events(container, customer, 3)
        await write_batch(container, customer, range(3, 3 + batched))
        await write_events(container, customer, 2)
        assert await relay_once(container) == 3 + batched  # plain rows, up to the batch row
        assert await relay_once(container) == 2
        assert await relay_once(container) == 0
        order = await consume_changes(broker, customer, 5 + batched)
        assert order == [0, 1, 2, *range(3, 3 + batched), 0, 1]
    finally:
        await container.runtime.close()


async def write_batch(container: Any, customer: str, sequence: range) -> None:
    """Updates with sequence numbers ``sequence``, as batch rows of the outbox."""
    data = pl.DataFrame(
        {
            "customer_id": customer,
            "kind": "person",
            "changed": [[str(seq)] for seq in sequence],
            "occurred_at": datetime.now(UTC).isoformat(),
        }
    )
    rows = outbox_rows(
        data,
        event_type=CustomerUpdated.event_type,
        topic=CustomerUpdated.topic,
        source="tests",
        now=datetime.now(UTC),
    )
    async with container.uow() as uow:
        await uow.session.execute(insert(container.runtime.tables.outbox), rows.to_dicts())
        await uow.commit()
