"""Producer, consumer and admin clients configured the same way for every service."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from shared.settings import KafkaSettings

log = logging.getLogger(__name__)


def make_producer(settings: KafkaSettings, *, client_id: str) -> AIOKafkaProducer:
    """A producer that waits for every replica; not idempotent (Tansu cannot do InitProducerId)."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.bootstrap_servers,
        client_id=settings.client_id or client_id,
        acks="all",
        enable_idempotence=False,
        linger_ms=5,
        request_timeout_ms=15000,
    )


def make_consumer(settings: KafkaSettings, *topics: str, group_id: str) -> AIOKafkaConsumer:
    """A consumer that commits offsets itself, only after the database has committed."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=settings.bootstrap_servers,
        client_id=settings.client_id or group_id,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=settings.consumer_batch_size,
        isolation_level="read_committed",
    )


async def ensure_topics(
    settings: KafkaSettings, topics: Iterable[str], *, attempts: int = 30
) -> None:
    """Create the topics that do not exist yet, waiting for the broker to come up."""
    wanted = sorted(set(topics))
    for attempt in range(1, attempts + 1):
        try:
            await _create_missing(settings, wanted)
            return
        except KafkaError as exc:
            if attempt == attempts:
                raise
            log.warning("broker not ready for topic creation (%s), retrying", exc)
            await asyncio.sleep(min(0.2 * attempt, 2.0))


async def _create_missing(settings: KafkaSettings, topics: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(t, settings.partitions, settings.replication_factor)
            for t in topics
            if t not in existing
        ]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # another worker was first
                await admin.create_topics(missing)
    finally:
        await admin.close()
