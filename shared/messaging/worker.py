"""A service's worker process: the outbox relay, the consumer loop and a small health server."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Iterator

import uvicorn
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI

from shared.contracts import ALL_TOPICS, CONTRACTS, dlq
from shared.db import is_sqlite
from shared.db.uow import UnitOfWork
from shared.messaging.consumer import EventConsumer, Subscriptions
from shared.messaging.housekeeping import run_housekeeping
from shared.messaging.kafka import ensure_topics, make_consumer, make_producer
from shared.messaging.relay import OutboxRelay
from shared.runtime import Runtime
from shared.settings import ServiceSettings
from shared.web.app import operations_router

log = logging.getLogger(__name__)


def subscribed_topics(subscriptions: Subscriptions) -> list[str]:
    """The topics that carry the event types a service subscribes to."""
    return sorted({CONTRACTS[event_type].topic for event_type in subscriptions})


async def run_worker(
    runtime: Runtime,
    *,
    subscriptions: Subscriptions,
    uow_factory: Callable[[], UnitOfWork],
    stop: asyncio.Event,
    health_port: int | None = None,
) -> None:
    """Run until ``stop`` is set: create topics, relay the outbox, consume subscriptions."""
    settings = runtime.settings
    kafka = settings.kafka
    await ensure_topics(kafka, [*ALL_TOPICS, *(dlq(t) for t in ALL_TOPICS)])
    producer = make_producer(kafka, client_id=f"{settings.service}-worker")
    await producer.start()
    tasks: list[asyncio.Task[None]] = []
    try:
        relay = OutboxRelay(
            name=settings.service,
            sessions=runtime.sessions,
            outbox=runtime.tables.outbox,
            producer=producer,
            metrics=runtime.metrics,
            batch_size=kafka.outbox_batch_size,
            poll_interval_s=kafka.outbox_poll_interval_s,
        )
        tasks.append(asyncio.create_task(relay.run(stop), name="outbox-relay"))
        tasks.append(asyncio.create_task(run_housekeeping(runtime, stop), name="housekeeping"))
        if subscriptions:
            tasks.append(
                asyncio.create_task(
                    _consume(runtime, subscriptions, uow_factory, producer, stop), name="consumer"
                )
            )
        if health_port:
            tasks.append(
                asyncio.create_task(_serve_health(runtime, health_port, stop), name="health")
            )
        await _until_stopped_or_failed(tasks, stop)
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await producer.stop()


async def _consume(
    runtime: Runtime,
    subscriptions: Subscriptions,
    uow_factory: Callable[[], UnitOfWork],
    producer: AIOKafkaProducer,
    stop: asyncio.Event,
) -> None:
    settings = runtime.settings
    consumer = make_consumer(
        settings.kafka, *subscribed_topics(subscriptions), group_id=f"idic-{settings.service}"
    )
    await consumer.start()
    try:
        loop = EventConsumer(
            name=settings.service,
            settings=settings.kafka,
            subscriptions=subscriptions,
            uow_factory=uow_factory,
            producer=producer,
            metrics=runtime.metrics,
            concurrency=_lanes(settings),
        )
        await loop.run(consumer, stop)
    finally:
        await consumer.stop()


def _lanes(settings: ServiceSettings) -> int:
    # SQLite has one writer at a time: lanes would only queue behind each other.
    return 1 if is_sqlite(settings.database_url) else settings.kafka.consumer_concurrency


async def _until_stopped_or_failed(tasks: list[asyncio.Task[None]], stop: asyncio.Event) -> None:
    stopper = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    for task in done:
        if task is not stopper and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


async def _serve_health(runtime: Runtime, port: int, stop: asyncio.Event) -> None:
    app = FastAPI(title=f"{runtime.settings.service} worker", docs_url=None, redoc_url=None)
    app.include_router(operations_router(runtime))
    config = uvicorn.Config(app, host="0.0.0.0", port=port, log_config=None, access_log=False)
    server = _QuietServer(config)
    serving = asyncio.create_task(server.serve())
    await stop.wait()
    server.should_exit = True
    await serving


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves SIGTERM/SIGINT to the worker's own stop event."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def install_stop_signals(stop: asyncio.Event) -> None:
    """Set ``stop`` on SIGTERM/SIGINT so the worker finishes its batch and exits cleanly."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
