"""Fixtures of the segmentation integration tests: its database, a container, the API, Kafka."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from services.segmentation.bootstrap import Container, bootstrap
from services.segmentation.events import SUBSCRIPTIONS
from services.segmentation.main import create_app
from shared.contracts import ALL_TOPICS
from shared.contracts.topics import SEGMENTATION_VALUES
from shared.messaging.kafka import ensure_topics, make_producer
from shared.web import mint_token
from tests.integration.segmentation.kit import Published
from tests.support import migrate, running_worker, settings_for

SCOPES = ["segments:read", "segments:write"]


@pytest.fixture(scope="session")
def service_name() -> str:
    """One consumer group (and outbox relay) for every segmentation test of this run."""
    return f"segmentation_{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="session")
async def settings(databases: dict[str, str], broker: str, service_name: str) -> Any:
    """Settings on the run's segmentation database (migrated) and broker."""
    url = databases["segmentation"]
    await migrate("segmentation", url)
    made = settings_for("segmentation", database_url=url, broker=broker)
    return made.model_copy(update={"service": service_name})


@pytest.fixture(scope="session")
async def container(settings: Any) -> AsyncIterator[Container]:
    """The worker side: a container of the service."""
    made = bootstrap(settings)
    yield made
    await made.runtime.close()


@pytest.fixture(scope="session")
async def worker(container: Container) -> AsyncIterator[Container]:
    """The segmentation worker running (consumer and outbox relay), one for the whole run."""
    async with running_worker(container, SUBSCRIPTIONS):
        yield container


@pytest.fixture(scope="session")
async def app(settings: Any) -> AsyncIterator[Any]:
    """The service's HTTP app, on the run's database."""
    made = create_app(settings)
    yield made
    await made.state.container.runtime.close()


def client(app: Any, *scopes: str, settings: Any) -> httpx.AsyncClient:
    """An HTTP client on ``app`` with a token holding ``scopes`` (none: no token at all)."""
    headers = {}
    if scopes:
        token = mint_token(settings.auth, subject="tester", scopes=list(scopes))
        headers["Authorization"] = f"Bearer {token}"
    transport = httpx.ASGITransport(app=app)
    return httpx.AsyncClient(transport=transport, base_url="http://segmentation", headers=headers)


@pytest.fixture(scope="session")
async def api(app: Any, settings: Any) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the service's app, authenticated with both segment scopes."""
    async with client(app, *SCOPES, settings=settings) as made:
        yield made


@pytest.fixture(scope="session")
async def published(broker: str, producer: AIOKafkaProducer) -> AsyncIterator[Published]:
    """Collects what segmentation publishes, for the whole run, in the background."""
    consumer = AIOKafkaConsumer(
        SEGMENTATION_VALUES,
        bootstrap_servers=broker,
        group_id=f"segmentation-tests-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    collected = Published()

    async def collect() -> None:
        async for record in consumer:
            collected.add(record.value)

    task = asyncio.create_task(collect())
    yield collected
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await consumer.stop()


@pytest.fixture(scope="session")
async def producer(broker: str) -> AsyncIterator[AIOKafkaProducer]:
    """A producer standing for core banking and the other services."""
    kafka = settings_for("segmentation", database_url="sqlite://", broker=broker).kafka
    await ensure_topics(kafka, ALL_TOPICS)
    made = make_producer(kafka, client_id="segmentation-tests")
    await made.start()
    yield made
    await made.stop()
