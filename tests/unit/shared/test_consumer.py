"""The consumer loop's batch handling, with stand-ins for the broker and the database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from sqlalchemy import exc as sa_exc

from shared.contracts import CustomerRegistered
from shared.contracts.topics import IDENTITY_CUSTOMERS
from shared.db import MessagingTables, make_metadata
from shared.envelope import Envelope
from shared.messaging.consumer import EventConsumer
from shared.metrics import Metrics
from shared.settings import KafkaSettings

PARTITION = TopicPartition(IDENTITY_CUSTOMERS, 0)


def record(offset: int, value: bytes) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        IDENTITY_CUSTOMERS, 0, offset, 0, 0, b"k", value, None, len(b"k"), len(value), []
    )


def registration(customer_id: str) -> bytes:
    payload = CustomerRegistered(
        customer_id=customer_id, kind="person", occurred_at=datetime.now(UTC)
    )
    envelope = Envelope(
        source="/test", type=payload.event_type, data=payload.model_dump(mode="json")
    )
    return envelope.encode()


class Producer:
    """Collects what would be sent to the dead-letter topic."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    async def send_and_wait(self, topic: str, *, value: bytes, **_: Any) -> None:
        self.sent.append((topic, value))


class Session:
    """Answers the inbox look-up with nothing seen before; takes the inserts."""

    def get_bind(self) -> Any:
        return type("Bind", (), {"dialect": type("Dialect", (), {"name": "sqlite"})})()

    async def execute(self, *_: Any, **__: Any) -> Any:
        class Result:
            def scalars(self) -> list[str]:
                return []

        return Result()


class UnitOfWork:
    """Fails its first ``failures`` commits as if the database had gone away."""

    failures = 1
    commits = 0

    def __init__(self) -> None:
        self.session = Session()
        self.tables = MessagingTables(make_metadata())

    async def __aenter__(self) -> UnitOfWork:
        return self

    async def __aexit__(self, *_: Any) -> None:
        return None

    async def commit(self) -> None:
        if UnitOfWork.failures:
            UnitOfWork.failures -= 1
            raise sa_exc.OperationalError("COMMIT", {}, ConnectionError("server closed"))
        UnitOfWork.commits += 1


class Consumer:
    """Hands out one fetch, then nothing; records the offsets committed."""

    def __init__(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        self.fetches = [{PARTITION: records}]
        self.committed: dict[TopicPartition, int] = {}

    async def getmany(self, **_: Any) -> dict[TopicPartition, list[Any]]:
        if self.fetches:
            return self.fetches.pop(0)
        await asyncio.sleep(0.01)
        return {}

    def assignment(self) -> set[TopicPartition]:
        return {PARTITION}

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.committed.update(offsets)

    def highwater(self, _: TopicPartition) -> int:
        return 3


async def test_a_retried_batch_dead_letters_its_malformed_record_once() -> None:
    seen: list[str] = []

    async def handler(event: CustomerRegistered, *, uow: Any) -> None:
        seen.append(event.customer_id)

    producer = Producer()
    loop = EventConsumer(
        name="test",
        settings=KafkaSettings(retry_backoff_s=0.01),
        subscriptions={CustomerRegistered.event_type: [handler]},
        uow_factory=UnitOfWork,  # type: ignore[arg-type]
        producer=producer,
        metrics=Metrics("test"),
    )
    consumer = Consumer([record(0, registration("a")), record(1, b"{oops"), record(2, b"")])
    stop = asyncio.Event()
    task = asyncio.create_task(loop.run(consumer, stop))
    for _ in range(200):
        if consumer.committed:
            break
        await asyncio.sleep(0.01)
    stop.set()
    await task
    assert consumer.committed == {PARTITION: 3}
    assert [value for _, value in producer.sent] == [b"{oops", b""]  # once each, not per retry
    assert seen == ["a", "a"]  # handled in the failed attempt and again in the one committed
    assert UnitOfWork.commits == 1
