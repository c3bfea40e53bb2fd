"""Plain helpers the tests share: settings builders, migrations, running workers, polling."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer

from idic.catalog import SERVICES
from idic.dlq import assign_all
from shared.db.engine import create_engine
from shared.db.migrations import upgrade
from shared.messaging.consumer import Subscriptions
from shared.messaging.worker import run_worker
from shared.settings import KafkaSettings

T = TypeVar("T")


def settings_for(
    service: str, *, database_url: str, broker: str = "127.0.0.1:1", **overrides: Any
) -> Any:
    """The service's Settings pointed at a test database and broker, with a unique group."""
    settings_cls = SERVICES[service].module("settings").Settings
    kafka = KafkaSettings(
        bootstrap_servers=broker,
        retry_backoff_s=0.01,
        outbox_poll_interval_s=0.02,
        **overrides.pop("kafka", {}),
    )
    fields = {
        "service": f"{service}_{uuid.uuid4().hex[:6]}",
        "env": "test",
        "database_url": database_url,
        "kafka": kafka,
    }
    return settings_cls(**{**fields, **overrides})


async def migrate(service: str, url: str) -> None:
    """Upgrade a service's database to head."""
    engine = create_engine(url)
    try:
        await upgrade(engine, SERVICES[service].migrations)
    finally:
        await engine.dispose()


@asynccontextmanager
async def running_worker(container: Any, subscriptions: Subscriptions) -> AsyncIterator[None]:
    """Run a service's worker (relay + consumer) in the background for the block's duration."""
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_worker(
            container.runtime, subscriptions=subscriptions, uow_factory=container.uow, stop=stop
        )
    )
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


async def eventually(probe: Callable[[], Awaitable[T]], *, timeout_s: float = 20.0) -> T:
    """Poll ``probe`` until it returns a truthy value, or fail after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    last: T | None = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout_s}s (last value: {last!r})")


async def read_topic(
    broker: str, topic: str, *, keys: set[str], count: int = 1, timeout_s: float = 20.0
) -> list[Any]:
    """Read ``topic`` from the start until ``count`` records with one of ``keys`` have arrived."""
    consumer = AIOKafkaConsumer(bootstrap_servers=broker, auto_offset_reset="earliest")
    await consumer.start()
    await assign_all(consumer, topic)
    wanted = {key.encode() for key in keys}
    found: list[Any] = []

    async def probe() -> bool:
        for records in (await consumer.getmany(timeout_ms=200)).values():
            found.extend(r for r in records if r.key in wanted)
        return len(found) >= count

    try:
        await eventually(probe, timeout_s=timeout_s)
    finally:
        await consumer.stop()
    return found
