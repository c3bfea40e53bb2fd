"""The interaction service's Kafka boundary: which event types it handles, and with what."""

from __future__ import annotations

from shared.messaging import Subscriptions

SUBSCRIPTIONS: Subscriptions = {}
