"""The dead-letter topic: a record that could not be processed, with the reason, for operators."""

from __future__ import annotations

import traceback
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from shared.contracts.topics import dlq

_MAX_ERROR = 2000


def error_headers(
    record: ConsumerRecord, error: BaseException, *, consumer: str
) -> list[tuple[str, bytes]]:
    """Headers that tell an operator where the record came from and why it failed."""
    detail = "".join(traceback.format_exception_only(type(error), error)).strip()
    return [
        ("dlq.error", detail[:_MAX_ERROR].encode()),
        ("dlq.error.type", type(error).__name__.encode()),
        ("dlq.original.topic", record.topic.encode()),
        ("dlq.original.partition", str(record.partition).encode()),
        ("dlq.original.offset", str(record.offset).encode()),
        ("dlq.consumer", consumer.encode()),
        ("dlq.failed_at", datetime.now(UTC).isoformat().encode()),
    ]


async def dead_letter(
    producer: AIOKafkaProducer,
    record: ConsumerRecord,
    error: BaseException,
    *,
    consumer: str,
) -> None:
    """Publish ``record`` unchanged to ``<topic>.dlq``, with the error in its headers."""
    headers = list(record.headers or ()) + error_headers(record, error, consumer=consumer)
    await producer.send_and_wait(
        dlq(record.topic), value=record.value, key=record.key, headers=headers
    )
