"""The segmentation worker: ``python -m services.segmentation.worker``.

Besides the shared worker (outbox relay, consumer, housekeeping) it runs the full recompute
every ``IDIC_RECOMPUTE_INTERVAL_S`` seconds (0 turns it off), starting right away.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from services.segmentation.bootstrap import Container, bootstrap
from services.segmentation.events import SUBSCRIPTIONS
from services.segmentation.handlers.recompute import recompute_and_store
from services.segmentation.settings import Settings, get_settings
from shared.logs import configure_logging
from shared.memory import freeze_startup_heap
from shared.messaging import install_stop_signals, run_worker

log = logging.getLogger(__name__)


async def recompute_once(container: Container) -> None:
    """One full recompute in its own transaction (and its rolled sums in their own)."""
    report = await recompute_and_store(container.uow())
    log.info(
        "recompute done",
        extra={
            "customers": report.customers,
            "value_changes": report.value_changes,
            "segment_entries": report.segment_entries,
            "segment_exits": report.segment_exits,
            "seconds": round(report.published_s, 3),
            "rolled_profiles": report.rolled_profiles,
            "seconds_with_roll": round(report.total_s, 3),
        },
    )


async def run_periodic_recompute(
    container: Container, stop: asyncio.Event, *, every_s: float
) -> None:
    """Recompute every ``every_s`` seconds until ``stop`` is set; a failure waits for the next."""
    while not stop.is_set():
        try:
            await recompute_once(container)
        except Exception:  # the next round retries; folding goes on meanwhile
            log.exception("recompute failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)


async def serve(settings: Settings, stop: asyncio.Event) -> None:
    """Run the worker and the periodic recompute until ``stop`` is set."""
    container = bootstrap(settings)
    freeze_startup_heap()
    tasks = []
    try:
        if settings.recompute_interval_s > 0:
            tasks.append(
                asyncio.create_task(
                    run_periodic_recompute(container, stop, every_s=settings.recompute_interval_s)
                )
            )
        await run_worker(
            container.runtime,
            subscriptions=SUBSCRIPTIONS,
            uow_factory=container.uow,
            stop=stop,
            health_port=settings.worker_port or None,
        )
    finally:
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        await container.runtime.close()


def main() -> None:
    """Configure logging and serve until SIGTERM/SIGINT."""
    settings = get_settings()
    configure_logging(service=settings.service, level=settings.log_level, json=settings.log_json)

    async def go() -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        await serve(settings, stop)

    asyncio.run(go())


if __name__ == "__main__":
    main()
