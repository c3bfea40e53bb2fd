"""Transactions folded per second by one segmentation worker, beside the broker's raw rate.

Run: ``.venv/bin/python -m bench.bench_segmentation_folding [events]`` (default 60,000). Starts
its own Tansu broker and a scratch PostgreSQL database (dropped at the end). Three figures:

1. raw aiokafka consume rate of the pre-filled ``banking.transactions`` topic (the baseline);
2. the worker folding the same records: inbox, profiles, day buckets, windows, valuation of the
   touched customers, three rule segments, events to the outbox (and the relay publishing them);
   measured after a warm-up fifth of the events and an ``ANALYZE`` (on a live database
   autovacuum keeps statistics; a brand-new one has none, and PostgreSQL then scans the inbox
   and profile tables sequentially for the batch look-ups);
3. event-to-state lag at a steady 2,000 events/s from a producer in another process: from the
   moment an event is produced (its ``occurred_at``) to the commit of the state it changed.

The worker runs with its defaults: batches of up to 4,000 records, split into 2 lanes applied
at once (``BENCH_BATCH=2000`` and ``BENCH_LANES=1`` to compare). Goals: >= 5,000 events/s
folded per worker; p99 lag < 2 s at 2,000 events/s.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import multiprocessing
import os
import random
import sys
import time
import uuid
from decimal import Decimal
from typing import Any

import numpy as np
from sqlalchemy import text

from bench.bench_broker import raw_consume
from bench.pg import scratch_database
from idic.broker import TansuBroker
from services.segmentation.adapters.orm import messaging
from services.segmentation.adapters.uow import SegmentationUoW
from services.segmentation.bootstrap import Container, bootstrap
from services.segmentation.events import SUBSCRIPTIONS
from services.segmentation.handlers.segments import CreateSegment, create_segment
from services.segmentation.handlers.valuation import settle
from services.segmentation.settings import CONSUMER_BATCH_SIZE
from shared.contracts import ALL_TOPICS, TransactionPosted
from shared.contracts.topics import BANKING_TRANSACTIONS
from shared.db.uow import build_envelope
from shared.envelope import headers
from shared.memory import freeze_startup_heap
from shared.messaging import run_worker
from shared.messaging.kafka import ensure_topics, make_producer
from shared.settings import KafkaSettings
from tests.support import migrate, settings_for

CUSTOMERS = 20_000
CHANNELS = ("mobile_banking", "online_banking", "atm", "branch", "pos")
LAG_RATE = 2_000
BATCH = int(os.environ.get("BENCH_BATCH", str(CONSUMER_BATCH_SIZE)))  # the worker's default
LANES = int(os.environ.get("BENCH_LANES", str(KafkaSettings().consumer_concurrency)))
LAG_SECONDS = 15
SEGMENTS = {
    "active_mobile": {"field": "txn_count", "window": "30d", "op": "gte", "value": 3},
    "affluent_or_better": {"field": "tier", "op": "in", "value": ["affluent", "private_banking"]},
    "valuable_recent": {
        "all": [
            {"field": "abc_class", "op": "eq", "value": "A"},
            {"field": "recency_days", "op": "lte", "value": 30},
        ]
    },
}


def transaction(rng: random.Random, *, occurred_at: dt.datetime | None = None) -> bytes:
    """One encoded ``banking.transaction.posted.v1`` for a random customer."""
    when = occurred_at or dt.datetime.now(dt.UTC) - dt.timedelta(days=rng.random() * 400)
    payload = TransactionPosted(
        transaction_id=uuid.uuid4().hex,
        customer_id=f"bench-{rng.randrange(CUSTOMERS):06d}",
        account_id="acct",
        product="current_account",
        direction=rng.choice(("credit", "debit")),
        amount=Decimal(f"{rng.lognormvariate(5, 1.2):.2f}"),
        channel=rng.choice(CHANNELS),
        fee_income=Decimal(rng.choice((0, 0, 0, 2, 15))),
        occurred_at=when,
    )
    return build_envelope(payload, source="/bench/core-banking").encode()


async def fill(broker: str, values: list[bytes]) -> None:
    """Produce the records, keyed by customer, and wait for every ack."""
    producer = make_producer(
        settings_for("segmentation", database_url="sqlite://", broker=broker).kafka,
        client_id="bench",
    )
    await producer.start()
    try:
        futures = [
            await producer.send(BANKING_TRANSACTIONS, value, key=_key(value), headers=headers())
            for value in values
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def _key(value: bytes) -> bytes:
    start = value.index(b'"subject":"') + 11
    return value[start : value.index(b'"', start)]


LAGS: list[float] = []


class TimedUoW(SegmentationUoW):
    """Notes, at commit, how long each folded transaction took from production to state."""

    async def __aenter__(self) -> TimedUoW:
        await super().__aenter__()
        self.produced: list[float] = []
        return self

    async def commit(self) -> None:
        await super().commit()
        done = time.time()
        LAGS.extend(done - t for t in self.produced)


async def timed_fold(event: TransactionPosted, *, uow: TimedUoW) -> None:
    """The real handler, plus the event's production time for the lag."""
    for handler in SUBSCRIPTIONS[TransactionPosted.event_type]:
        await handler(event, uow=uow)
    uow.produced.append(event.occurred_at.timestamp())


def timed_uow(container: Container) -> TimedUoW:
    return TimedUoW(
        container.runtime.sessions,
        messaging,
        source=container.runtime.source,
        params=container.params,
        settle=settle,
    )


def processed(container: Container) -> float:
    """Transactions the worker has committed so far (from its own metrics)."""
    name = f"{container.settings.service}_events_consumed_total"
    labels = {
        "topic": BANKING_TRANSACTIONS,
        "type": TransactionPosted.event_type,
        "outcome": "processed",
    }
    return container.runtime.metrics.registry.get_sample_value(name, labels) or 0.0


async def fold_rate(container: Container, n: int, *, warm_up: int) -> tuple[float, float]:
    """(events/s, seconds) over the events after the first ``warm_up`` ones."""
    await reached(container, warm_up)
    await analyze(container)
    start_count, started, cpu = processed(container), time.perf_counter(), time.process_time()
    await reached(container, n)
    elapsed = time.perf_counter() - started
    busy = (time.process_time() - cpu) / elapsed
    print(f"worker process CPU while folding: {busy:.0%} of one core")
    return (n - start_count) / elapsed, elapsed


async def reached(container: Container, count: int) -> None:
    """Return once the worker has committed ``count`` transactions."""
    while True:
        if processed(container) >= count:
            return
        await asyncio.sleep(0.01)


async def analyze(container: Container) -> None:
    """Refresh planner statistics, as autovacuum does within a minute on a live database."""
    async with container.runtime.engine.connect() as connection:
        await connection.execute(text("ANALYZE"))


def steady_producer(broker: str, rate: int, seconds: int) -> None:
    """Produce ``rate`` events per second for ``seconds`` (run in a process of its own)."""

    async def go() -> None:
        rng = random.Random(7)
        kafka = settings_for("segmentation", database_url="sqlite://", broker=broker).kafka
        producer = make_producer(kafka, client_id="bench-steady")
        await producer.start()
        tick, per_tick = 0.05, rate // 20
        start = time.perf_counter()
        for step in range(int(seconds / tick)):
            for _ in range(per_tick):
                value = transaction(rng, occurred_at=dt.datetime.now(dt.UTC))
                await producer.send(BANKING_TRANSACTIONS, value, key=_key(value), headers=headers())
            await asyncio.sleep(max(0.0, start + (step + 1) * tick - time.perf_counter()))
        await producer.flush()
        await producer.stop()

    asyncio.run(go())


async def define_segments(container: Container) -> None:
    for name, condition in SEGMENTS.items():
        async with container.uow() as uow:
            await create_segment(CreateSegment(name, "", condition, "bench"), uow=uow)
            await uow.commit()


async def run(n: int) -> None:
    with TansuBroker() as broker:
        async with scratch_database("idic_bench_fold") as url:
            await migrate("segmentation", url)
            settings = settings_for(
                "segmentation",
                database_url=url,
                broker=broker.bootstrap_servers,
                kafka={"consumer_batch_size": BATCH, "consumer_concurrency": LANES},
            )
            await ensure_topics(settings.kafka, ALL_TOPICS)
            rng = random.Random(42)
            started = time.perf_counter()
            values = [transaction(rng) for _ in range(n)]
            await fill(broker.bootstrap_servers, values)
            print(
                f"produced {n:,} transactions for {CUSTOMERS:,} customers "
                f"over 400 days in {time.perf_counter() - started:.1f} s"
            )
            raw = await raw_consume(broker.bootstrap_servers, BANKING_TRANSACTIONS, n)
            print(f"raw aiokafka consume:        {raw:10,.0f} events/s")
            print(f"worker: batches of up to {BATCH:,} records, {LANES} lane(s)")
            await measure_worker(settings, n, raw)


async def measure_worker(settings: Any, n: int, raw: float) -> None:
    container = bootstrap(settings)
    container.uow = lambda: timed_uow(container)  # type: ignore[method-assign]
    freeze_startup_heap()  # as the worker does at start
    await define_segments(container)
    subscriptions = {**SUBSCRIPTIONS, TransactionPosted.event_type: [timed_fold]}
    stop = asyncio.Event()
    worker = asyncio.create_task(
        run_worker(
            container.runtime, subscriptions=subscriptions, uow_factory=container.uow, stop=stop
        )
    )
    try:
        rate, elapsed = await fold_rate(container, n, warm_up=n // 5)
        print(
            f"segmentation worker folding: {rate:10,.0f} events/s ({elapsed:.1f} s), "
            f"{rate / raw:.2f}x the raw consume rate; goal >= 5,000: "
            f"{'met' if rate >= 5000 else 'NOT met'}"
        )
        LAGS.clear()
        process = multiprocessing.get_context("spawn").Process(
            target=steady_producer, args=(settings.kafka.bootstrap_servers, LAG_RATE, LAG_SECONDS)
        )
        process.start()
        await asyncio.to_thread(process.join)
        expected = n + LAG_RATE * LAG_SECONDS
        await reached(container, expected)
        report_lag(LAGS)
    finally:
        stop.set()
        await worker
        await container.runtime.close()


def report_lag(lags: list[float]) -> None:
    values = np.array(lags)
    p50, p99 = np.percentile(values, 50), np.percentile(values, 99)
    print(
        f"event-to-state lag at {LAG_RATE:,} events/s over {LAG_SECONDS} s "
        f"({values.size:,} events): p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"max {values.max() * 1000:.0f} ms; goal p99 < 2 s: {'met' if p99 < 2 else 'NOT met'}"
    )


def main(argv: list[str]) -> None:
    n = int(argv[1]) if len(argv) > 1 else 60_000
    asyncio.run(run(n))


if __name__ == "__main__":
    main(sys.argv)
