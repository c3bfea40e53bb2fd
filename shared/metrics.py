"""Prometheus metrics of one service, in a registry of its own (apps may share a process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The metrics of every service, named ``<service>_<noun>_<unit>``; labels never hold ids."""

    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        prefix = service.replace("-", "_")
        self.http_latency = Histogram(
            f"{prefix}_http_request_duration_seconds",
            "HTTP request latency by route template.",
            ["method", "route", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.events_consumed = Counter(
            f"{prefix}_events_consumed_total",
            "Events consumed, by outcome (processed, duplicate, ignored).",
            ["topic", "type", "outcome"],
            registry=self.registry,
        )
        self.events_produced = Counter(
            f"{prefix}_events_produced_total",
            "Events published to the broker from the outbox.",
            ["topic", "type"],
            registry=self.registry,
        )
        self.events_failed = Counter(
            f"{prefix}_events_failed_total",
            "Event processing failures, by reason (retry, dead_lettered, transient).",
            ["topic", "reason"],
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            f"{prefix}_outbox_backlog_messages",
            "Outbox rows not yet published.",
            registry=self.registry,
        )
        self.consumer_lag = Gauge(
            f"{prefix}_consumer_lag_messages",
            "Records between the committed offset and the end of each partition.",
            ["topic", "partition"],
            registry=self.registry,
        )
