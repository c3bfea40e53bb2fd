"""The consumer loop every service's worker runs.

Per fetched batch: decode each record (a malformed one goes to the DLQ), then apply the batch
in one transaction: inbox claim → handlers → commit. If that fails, fall back to one record per
transaction with bounded retries, dead-lettering the record that still fails. Kafka offsets are
committed only after the database commit. Infrastructure failures (database or broker
unreachable) never dead-letter: the batch is retried, with back-off, until it passes.

Two overlaps keep the worker's core busy while the database works. The next batch is fetched
and decoded while the current one is applied (nothing of it takes effect before the current one
is committed: dead-lettering happens when a batch is applied). And a batch can be split by record
key into ``concurrency`` lanes applied in transactions of their own at once: one key's records
stay in one lane in their order, and the lanes touch different customers, as the partitions of
different worker replicas do. Offsets are committed once every lane has committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc

from shared import context
from shared.contracts import CONTRACTS, EventPayload
from shared.envelope import Envelope, EnvelopeError, decode
from shared.messaging import inbox
from shared.messaging.dlq import dead_letter
from shared.metrics import Metrics
from shared.settings import KafkaSettings

if TYPE_CHECKING:
    from shared.db.uow import UnitOfWork

log = logging.getLogger(__name__)

Record: TypeAlias = "ConsumerRecord[bytes, bytes]"  # no deserializers are configured
TRANSIENT: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    ConnectionError,
    OSError,
    KafkaConnectionError,
    KafkaTimeoutError,
)


class Handler(Protocol):
    """An event handler: reacts to one payload inside the caller's unit of work."""

    def __call__(self, event: Any, /, *, uow: Any) -> Awaitable[None]: ...


Subscriptions = Mapping[str, Sequence[Handler]]


@dataclass(frozen=True)
class Delivery:
    """A decoded record: where it came from, its envelope and its typed payload."""

    record: Record
    envelope: Envelope
    payload: EventPayload


Decoded: TypeAlias = "tuple[Record, Delivery | Exception | None]"


@dataclass(frozen=True)
class _Fetched:
    """One fetch: the records by partition, and each record decoded."""

    batches: dict[TopicPartition, list[Record]]
    decoded: dict[TopicPartition, list[Decoded]]


def _still_assigned(
    consumer: AIOKafkaConsumer, batches: dict[TopicPartition, list[Record]]
) -> dict[TopicPartition, list[Record]]:
    """The fetched partitions this consumer still owns (a rebalance may have moved some)."""
    owned = consumer.assignment()
    return {tp: part for tp, part in batches.items() if part and tp in owned}


def _lanes(deliveries: Sequence[Delivery], count: int) -> list[list[Delivery]]:
    """Split by record key: one key's records stay in one lane, in their order."""
    if count == 1 or len(deliveries) < 2:
        return [list(deliveries)] if deliveries else []
    lanes: list[list[Delivery]] = [[] for _ in range(count)]
    for delivery in deliveries:
        lanes[hash(delivery.record.key) % count].append(delivery)
    return [lane for lane in lanes if lane]


class EventConsumer:
    """Applies fetched records to a service's database, exactly once in effect."""

    def __init__(
        self,
        *,
        name: str,
        settings: KafkaSettings,
        subscriptions: Subscriptions,
        uow_factory: Callable[[], UnitOfWork],
        producer: AIOKafkaProducer,
        metrics: Metrics,
        concurrency: int = 1,
    ) -> None:
        self.name = name
        self.concurrency = concurrency
        self.settings = settings
        self.subscriptions = subscriptions
        self.uow_factory = uow_factory
        self.producer = producer
        self.metrics = metrics

    async def run(self, consumer: AIOKafkaConsumer, stop: asyncio.Event) -> None:
        """Fetch, apply and commit until ``stop`` is set."""
        ahead = asyncio.ensure_future(self._fetch(consumer))
        try:
            while not stop.is_set():
                fetched, ahead = await ahead, asyncio.ensure_future(self._fetch(consumer))
                batches = _still_assigned(consumer, fetched.batches)
                if not batches:
                    continue
                decoded = [d for tp in batches for d in fetched.decoded[tp]]
                if not await self._handle_until_done(decoded, stop):
                    return
                await consumer.commit({tp: part[-1].offset + 1 for tp, part in batches.items()})
                self._record_lag(consumer, batches)
        finally:
            ahead.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ahead

    async def _fetch(self, consumer: AIOKafkaConsumer) -> _Fetched:
        batches = await consumer.getmany(
            timeout_ms=200, max_records=self.settings.consumer_batch_size
        )
        decoded = {tp: [(r, self._decode(r)) for r in part] for tp, part in batches.items()}
        return _Fetched(batches, decoded)

    async def _handle_until_done(self, decoded: list[Decoded], stop: asyncio.Event) -> bool:
        delay = self.settings.retry_backoff_s
        while True:
            try:
                await self._handle_decoded(decoded)
                return True
            except TRANSIENT as exc:
                self.metrics.events_failed.labels(decoded[0][0].topic, "transient").inc()
                log.warning("transient failure, retrying the batch in %.1fs: %r", delay, exc)
            if stop.is_set():
                return False
            await asyncio.sleep(delay)
            delay = min(max(delay * 2, 0.1), 10.0)

    async def handle_batch(self, records: Sequence[Record]) -> None:
        """Apply a batch: all in one transaction, or record by record if that fails."""
        await self._handle_decoded([(r, self._decode(r)) for r in records])

    async def _handle_decoded(self, decoded: list[Decoded]) -> None:
        deliveries = []
        for position, (record, outcome) in enumerate(decoded):
            if isinstance(outcome, Delivery):
                deliveries.append(outcome)
            elif outcome is not None:
                await self._dead_letter(record, outcome)
                decoded[position] = (record, None)  # a retried batch does not send it twice
        lanes = _lanes(deliveries, self.concurrency)
        if len(lanes) == 1:
            await self._apply_or_isolate(lanes[0])
            return
        # Every lane finishes before a transient failure is raised (and the batch retried).
        results = await asyncio.gather(*map(self._apply_or_isolate, lanes), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _apply_or_isolate(self, deliveries: Sequence[Delivery]) -> None:
        try:
            await self._apply(deliveries)
        except TRANSIENT:
            raise
        except Exception as exc:  # fall back to isolate the failing record
            log.info("batch of %d failed (%r); applying one by one", len(deliveries), exc)
            for delivery in deliveries:
                await self._apply_with_retries(delivery)

    def _decode(self, record: Record) -> Delivery | Exception | None:
        """The record's delivery; the error that makes it malformed; None if ignored."""
        try:
            envelope = decode(record.value)
            model = CONTRACTS.get(envelope.type)
            if model is None or envelope.type not in self.subscriptions:
                self.metrics.events_consumed.labels(record.topic, envelope.type, "ignored").inc()
                return None
            return Delivery(record, envelope, model.model_validate(envelope.data))
        except (EnvelopeError, ValidationError) as exc:
            log.warning(
                "malformed record %s:%d@%d: %s", record.topic, record.partition, record.offset, exc
            )
            return exc

    async def _apply(self, deliveries: Sequence[Delivery]) -> None:
        async with self.uow_factory() as uow:
            pairs = [(d.record.topic, d.envelope) for d in deliveries]
            fresh = await inbox.claim(uow.session, uow.tables.inbox, pairs)
            for position in fresh:
                await self._dispatch(deliveries[position], uow)
            await uow.commit()
        fresh_set = set(fresh)
        counts = Counter(
            (d.record.topic, d.envelope.type, "processed" if i in fresh_set else "duplicate")
            for i, d in enumerate(deliveries)
        )
        for labels, count in counts.items():
            self.metrics.events_consumed.labels(*labels).inc(count)

    async def _dispatch(self, delivery: Delivery, uow: UnitOfWork) -> None:
        env = delivery.envelope
        with context.bound(correlation=env.correlationid, causation=env.id, trace=env.traceparent):
            for handler in self.subscriptions[env.type]:
                await handler(delivery.payload, uow=uow)

    async def _apply_with_retries(self, delivery: Delivery) -> None:
        attempts = self.settings.max_retries + 1
        for attempt in range(1, attempts + 1):
            try:
                await self._apply([delivery])
                return
            except TRANSIENT:
                raise
            except Exception as exc:
                if attempt == attempts:
                    log.exception(
                        "giving up on %s after %d attempts", delivery.envelope.id, attempt
                    )
                    await self._dead_letter(delivery.record, exc)
                    return
                self.metrics.events_failed.labels(delivery.record.topic, "retry").inc()
                await asyncio.sleep(self.settings.retry_backoff_s * attempt)

    async def _dead_letter(self, record: Record, error: BaseException) -> None:
        await dead_letter(self.producer, record, error, consumer=self.name)
        self.metrics.events_failed.labels(record.topic, "dead_lettered").inc()

    def _record_lag(
        self, consumer: AIOKafkaConsumer, batches: Mapping[TopicPartition, list[Record]]
    ) -> None:
        for tp, part in batches.items():
            high = consumer.highwater(tp)
            if high is not None:
                lag = max(high - (part[-1].offset + 1), 0)
                self.metrics.consumer_lag.labels(tp.topic, str(tp.partition)).set(lag)
