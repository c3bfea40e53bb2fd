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


def record(offset: int, value: bytes, key: bytes = b"k") -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        IDENTITY_CUSTOMERS, 0, offset, 0, 0, key, value, None, len(key), len(value), []
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
    open = 0
    most_open = 0

    def __init__(self) -> None:
        self.session = Session()
        self.tables = MessagingTables(make_metadata())

    async def __aenter__(self) -> UnitOfWork:
        UnitOfWork.open += 1
        UnitOfWork.most_open = max(UnitOfWork.most_open, UnitOfWork.open)
        return self

    async def __aexit__(self, *_: Any) -> None:
        UnitOfWork.open -= 1

    async def commit(self) -> None:
        await asyncio.sleep(0.01)  # the database at work: other lanes run meanwhile
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

    UnitOfWork.failures, UnitOfWork.commits = 1, 0
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


async def test_lanes_apply_at_once_and_keep_each_keys_records_in_order() -> None:
    applied: list[tuple[int, str]] = []

    async def handler(event: CustomerRegistered, *, uow: Any) -> None:
        applied.append((id(uow), event.customer_id))

    UnitOfWork.failures, UnitOfWork.commits, UnitOfWork.most_open = 0, 0, 0
    loop = EventConsumer(
        name="test",
        settings=KafkaSettings(),
        subscriptions={CustomerRegistered.event_type: [handler]},
        uow_factory=UnitOfWork,  # type: ignore[arg-type]
        producer=Producer(),
        metrics=Metrics("test"),
        concurrency=2,
    )
    keys = [f"key-{n}" for n in range(20)]
    records = [
        record(i, registration(f"{keys[i % 20]}:{i // 20}"), keys[i % 20].encode())
        for i in range(100)
    ]

    await loop.handle_batch(records)

    assert UnitOfWork.commits == 2 and UnitOfWork.most_open == 2
    lanes_of = {key: {uow for uow, c in applied if c.startswith(f"{key}:")} for key in keys}
    assert all(len(lanes) == 1 for lanes in lanes_of.values())
    for key in keys:
        order = [c for _, c in applied if c.startswith(f"{key}:")]
        assert order == [f"{key}:{n}" for n in range(5)]
