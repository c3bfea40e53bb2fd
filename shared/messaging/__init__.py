"""Messaging: the CloudEvents envelope, Kafka clients, outbox relay, inbox, consumer loop, DLQ."""

from __future__ import annotations

from shared.envelope import CONTENT_TYPE, Envelope, EnvelopeError, decode
from shared.messaging.consumer import EventConsumer, Handler, Subscriptions
from shared.messaging.relay import OutboxRelay
from shared.messaging.worker import install_stop_signals, run_worker

__all__ = [
    "CONTENT_TYPE",
    "Envelope",
    "EnvelopeError",
    "EventConsumer",
    "Handler",
    "OutboxRelay",
    "Subscriptions",
    "decode",
    "install_stop_signals",
    "run_worker",
]
