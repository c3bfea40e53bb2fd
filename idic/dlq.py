"""Operator tools for dead-letter topics: list what failed and why, re-drive it once fixed.

A dead-lettered record never reached the consumer's inbox (its transaction rolled back), so
replaying it to the original topic gets it processed once the cause is fixed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TypeAlias

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from shared.contracts.topics import DLQ_SUFFIX, dlq
from shared.messaging.kafka import make_producer
from shared.settings import KafkaSettings

REPLAY_GROUP = "idic-dlq-replay"
Record: TypeAlias = "ConsumerRecord[bytes, bytes]"


@dataclass(frozen=True)
class DeadLetter:
    """One dead-lettered record, as an operator reads it."""

    offset: int
    key: str
    error_type: str
    error: str
    original: str


async def show(settings: KafkaSettings, topic: str) -> list[DeadLetter]:
    """Every record on ``topic``'s DLQ, oldest first (nothing is committed)."""
    found = []
    async for _, record in _drain(settings, dlq(topic), group=None):
        headers = {k: v.decode(errors="replace") for k, v in record.headers or ()}
        origin = headers.get("dlq.original.topic", topic), headers.get("dlq.original.offset", "?")
        found.append(
            DeadLetter(
                offset=record.offset,
                key=(record.key or b"").decode(errors="replace"),
                error_type=headers.get("dlq.error.type", ""),
                error=headers.get("dlq.error", ""),
                original="@".join(origin),
            )
        )
    return found


async def replay(settings: KafkaSettings, topic: str) -> int:
    """Re-publish ``topic``'s dead letters not replayed before; return how many were sent."""
    producer = make_producer(settings, client_id="idic-dlq-replay")
    await producer.start()
    sent = 0
    try:
        async for consumer, record in _drain(settings, dlq(topic), group=REPLAY_GROUP):
            headers = [(k, v) for k, v in record.headers or () if not k.startswith("dlq.")]
            await producer.send_and_wait(topic, value=record.value, key=record.key, headers=headers)
            await consumer.commit(
                {TopicPartition(record.topic, record.partition): record.offset + 1}
            )
            sent += 1
    finally:
        await producer.stop()
    return sent


async def _drain(
    settings: KafkaSettings, topic: str, *, group: str | None
) -> AsyncIterator[tuple[AIOKafkaConsumer, Record]]:
    # Partitions are assigned, not subscribed: no group rebalance to wait for; a group id,
    # when given, only keeps the committed offsets.
    if not topic.endswith(DLQ_SUFFIX):
        raise ValueError(f"{topic} is not a dead-letter topic")
    consumer = AIOKafkaConsumer(
        bootstrap_servers=settings.bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        await assign_all(consumer, topic)
        while True:
            batch = await consumer.getmany(timeout_ms=500)
            for records in batch.values():
                for record in records:
                    yield consumer, record
            if not batch and await _caught_up(consumer):
                return
    finally:
        await consumer.stop()


async def assign_all(consumer: AIOKafkaConsumer, topic: str) -> None:
    """Assign every partition of ``topic`` to a started consumer."""
    await consumer.topics()  # loads the cluster metadata
    partitions = consumer.partitions_for_topic(topic) or set()
    consumer.assign([TopicPartition(topic, p) for p in sorted(partitions)])


async def _caught_up(consumer: AIOKafkaConsumer) -> bool:
    """Whether the consumer has read to the end of every partition assigned to it."""
    assigned = consumer.assignment()
    if not assigned:
        return False
    ends = await consumer.end_offsets(list(assigned))
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return False
    return True
