"""The entry point every service's worker module calls."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol, TypeVar

from shared.db.uow import UnitOfWork
from shared.logs import configure_logging
from shared.memory import freeze_startup_heap
from shared.messaging.consumer import Subscriptions
from shared.messaging.worker import install_stop_signals, run_worker
from shared.runtime import Runtime
from shared.settings import ServiceSettings

S = TypeVar("S", bound=ServiceSettings)


class Container(Protocol):
    """What a service's composition root gives its worker."""

    runtime: Runtime

    def uow(self) -> UnitOfWork: ...


def worker_main(
    settings: S, *, bootstrap: Callable[[S], Container], subscriptions: Subscriptions
) -> None:
    """Configure logging and run the worker until SIGTERM/SIGINT."""
    configure_logging(service=settings.service, level=settings.log_level, json=settings.log_json)

    async def main() -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        container = bootstrap(settings)
        freeze_startup_heap()
        try:
            await run_worker(
                container.runtime,
                subscriptions=subscriptions,
                uow_factory=container.uow,
                stop=stop,
                health_port=settings.worker_port or None,
            )
        finally:
            await container.runtime.close()

    asyncio.run(main())
