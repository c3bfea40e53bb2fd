"""``idic dlq show/replay``: operators see why records failed and re-drive them, once each."""

from __future__ import annotations

import uuid

import pytest

from idic import dlq
from shared.contracts.topics import LIFECYCLE_STAGES
from shared.contracts.topics import dlq as dlq_topic
from shared.messaging.kafka import ensure_topics, make_producer
from shared.settings import KafkaSettings
from tests.support import read_topic

pytestmark = pytest.mark.xdist_group("broker")


@pytest.fixture
def broker(own_broker: str) -> str:
    """These tests produce poison and replay dead letters: keep them off the shared broker."""
    return own_broker


async def test_show_then_replay_each_dead_letter_once(broker: str) -> None:
    kafka = KafkaSettings(bootstrap_servers=broker)
    await ensure_topics(kafka, [LIFECYCLE_STAGES, dlq_topic(LIFECYCLE_STAGES)])
    key = f"c-{uuid.uuid4().hex[:8]}"
    producer = make_producer(kafka, client_id="t")
    await producer.start()
    try:
        await producer.send_and_wait(
            dlq_topic(LIFECYCLE_STAGES),
            value=b"{payload}",
            key=key.encode(),
            headers=[
                ("content-type", b"application/cloudevents+json"),
                ("dlq.error", b"ValueError: no such stage"),
                ("dlq.error.type", b"ValueError"),
                ("dlq.original.topic", LIFECYCLE_STAGES.encode()),
                ("dlq.original.offset", b"41"),
            ],
        )
    finally:
        await producer.stop()

    letters = [d for d in await dlq.show(kafka, LIFECYCLE_STAGES) if d.key == key]
    assert [(d.error_type, d.error, d.original) for d in letters] == [
        ("ValueError", "ValueError: no such stage", f"{LIFECYCLE_STAGES}@41")
    ]
    assert await dlq.replay(kafka, LIFECYCLE_STAGES) >= 1
    [again] = await read_topic(broker, LIFECYCLE_STAGES, keys={key})
    assert again.value == b"{payload}"
    assert dict(again.headers) == {"content-type": b"application/cloudevents+json"}
    assert await dlq.replay(kafka, LIFECYCLE_STAGES) == 0
