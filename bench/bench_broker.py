"""Raw broker rates with aiokafka, and the platform's outbox relay and consumer loop beside them.

Run: ``.venv/bin/python -m bench.bench_broker`` (starts its own Tansu broker and a scratch
PostgreSQL database). Every ratio compares figures measured in this same run.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer

from bench.pg import scratch_database
from idic.broker import TansuBroker
from services.lifecycle.bootstrap import bootstrap
from shared.contracts import CustomerUpdated
from shared.messaging.consumer import EventConsumer
from shared.messaging.kafka import ensure_topics, make_consumer, make_producer
from shared.messaging.relay import OutboxRelay
from tests.support import migrate, settings_for

N = 20_000
VALUE = b"x" * 400  # about the size of one of our events


async def raw_produce(broker: str, topic: str) -> float:
    producer = make_producer(
        settings_for("lifecycle", database_url="sqlite://", broker=broker).kafka, client_id="bench"
    )
    await producer.start()
    started = time.perf_counter()
    futures = [await producer.send(topic, VALUE, key=str(i % 1000).encode()) for i in range(N)]
    await asyncio.gather(*futures)
    elapsed = time.perf_counter() - started
    await producer.stop()
    return N / elapsed


async def raw_consume(broker: str, topic: str, n: int = N) -> float:
    """Records per second aiokafka alone reads from ``topic`` (its first ``n``)."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=broker,
        group_id=f"raw-{uuid.uuid4().hex}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    got, started = 0, 0.0
    try:
        while got < n:
            batch = await consumer.getmany(timeout_ms=500, max_records=500)
            if batch and not started:
                started = time.perf_counter()
            got += sum(len(records) for records in batch.values())
    finally:
        await consumer.stop()
    return n / (time.perf_counter() - started)


def payloads() -> list[CustomerUpdated]:
    now = datetime.now(UTC)
    return [
        CustomerUpdated(customer_id=f"c-{i % 1000}", kind="person", occurred_at=now)
        for i in range(N)
    ]


async def relay_rate(container: object) -> float:
    async with container.uow() as uow:  # type: ignore[attr-defined]
        for payload in payloads():
            uow.publish(payload)
        await uow.commit()
    runtime = container.runtime  # type: ignore[attr-defined]
    producer = make_producer(runtime.settings.kafka, client_id="bench-relay")
    await producer.start()
    relay = OutboxRelay(
        name="bench",
        sessions=runtime.sessions,
        outbox=runtime.tables.outbox,
        producer=producer,
        metrics=runtime.metrics,
        batch_size=1000,
    )
    started = time.perf_counter()
    while await relay.publish_pending():
        pass
    elapsed = time.perf_counter() - started
    await producer.stop()
    return N / elapsed


async def consumer_rate(container: object, topic: str) -> float:
    async def noop(event: object, *, uow: object) -> None:
        return None

    runtime = container.runtime  # type: ignore[attr-defined]
    loop = EventConsumer(
        name="bench",
        settings=runtime.settings.kafka,
        subscriptions={CustomerUpdated.event_type: [noop]},
        uow_factory=container.uow,
        producer=None,
        metrics=runtime.metrics,
    )  # type: ignore[attr-defined,arg-type]
    consumer = make_consumer(runtime.settings.kafka, topic, group_id=f"b-{uuid.uuid4().hex}")
    await consumer.start()
    done, started = 0, 0.0
    while done < N:
        batches = await consumer.getmany(timeout_ms=500, max_records=500)
        records = [r for part in batches.values() for r in part]
        if records and not started:
            started = time.perf_counter()
        await loop.handle_batch(records)
        if batches:
            await consumer.commit({tp: part[-1].offset + 1 for tp, part in batches.items()})
        done += len(records)
    elapsed = time.perf_counter() - started
    await consumer.stop()
    return N / elapsed


async def main() -> None:
    with TansuBroker() as broker:
        address = broker.bootstrap_servers
        kafka = settings_for("lifecycle", database_url="sqlite://", broker=address).kafka
        await ensure_topics(kafka, ["bench.raw", "identity.customers"])
        produce = await raw_produce(address, "bench.raw")
        consume = await raw_consume(address, "bench.raw")
        async with scratch_database() as url:
            await migrate("lifecycle", url)
            container = bootstrap(settings_for("lifecycle", database_url=url, broker=address))
            relay = await relay_rate(container)
            folded = await consumer_rate(container, "identity.customers")
            await container.runtime.close()
    rows = [
        ("raw aiokafka produce", produce, ""),
        ("raw aiokafka consume", consume, ""),
        ("outbox relay (PG → broker)", relay, f"{relay / produce:.2f}× raw produce"),
        ("consumer loop (inbox + commit)", folded, f"{folded / consume:.2f}× raw consume"),
    ]
    print(f"{N:,} records of {len(VALUE)} bytes; Tansu on loopback; platform rows on PostgreSQL")
    for label, rate, ratio in rows:
        print(f"  {label:<32}{rate:>10,.0f} msgs/s   {ratio}")


if __name__ == "__main__":
    asyncio.run(main())
