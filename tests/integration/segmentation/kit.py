"""Builders and helpers of the segmentation integration tests: events from outside, the API."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from shared.contracts import (
    CONTRACTS,
    BalanceSnapshotted,
    CustomerErased,
    CustomerMerged,
    CustomerRegistered,
    EventPayload,
    ProductOpened,
    StageChanged,
    TransactionPosted,
)
from shared.db.uow import build_envelope
from shared.envelope import Envelope, decode, headers

NOW = dt.datetime.now(dt.UTC)


def customer_id(prefix: str = "c") -> str:
    """A random customer id, so tests never collide in a shared database."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def days_ago(days: float) -> dt.datetime:
    """A moment ``days`` days before now."""
    return NOW - dt.timedelta(days=days)


def transaction(customer: str, amount: float = 100.0, **overrides: Any) -> TransactionPosted:
    """A posted transaction (now, on the mobile app, unless overridden)."""
    fields: dict[str, Any] = {
        "transaction_id": uuid.uuid4().hex,
        "customer_id": customer,
        "account_id": f"acct-{customer}",
        "product": "current_account",
        "direction": "debit",
        "amount": Decimal(str(amount)),
        "channel": "mobile_banking",
        "occurred_at": NOW,
    }
    return TransactionPosted(**{**fields, **overrides})


def balance(customer: str, financial_assets: float, **overrides: Any) -> BalanceSnapshotted:
    """A balance snapshot as of today (all assets held as deposits unless overridden)."""
    fields: dict[str, Any] = {
        "customer_id": customer,
        "as_of": NOW.date(),
        "deposits": Decimal(str(financial_assets)),
        "financial_assets": Decimal(str(financial_assets)),
    }
    return BalanceSnapshotted(**{**fields, **overrides})


def product_opened(customer: str, product: str, kind: str = "card") -> ProductOpened:
    """The customer opened a product."""
    return ProductOpened(
        customer_id=customer,
        account_id=f"{product}-{customer}",
        product=product,
        kind=kind,  # type: ignore[arg-type]
        occurred_at=NOW,
    )


def registered(customer: str, home_branch: str) -> CustomerRegistered:
    """Identity registered the customer at ``home_branch``."""
    return CustomerRegistered(
        customer_id=customer, kind="person", home_branch=home_branch, occurred_at=NOW
    )


def stage(customer: str, to: str) -> StageChanged:
    """The lifecycle service moved the customer to stage ``to``."""
    return StageChanged.model_validate({"customer_id": customer, "to": to, "occurred_at": NOW})


def merged(survivor: str, merged_id: str) -> CustomerMerged:
    """Identity found that two ids are one customer."""
    return CustomerMerged(survivor_id=survivor, merged_id=merged_id, occurred_at=NOW)


def erased(customer: str) -> CustomerErased:
    """Identity erased the customer."""
    return CustomerErased(customer_id=customer, occurred_at=NOW)


async def send(producer: AIOKafkaProducer, *payloads: EventPayload) -> list[str]:
    """Publish events as core banking or identity would; returns their encoded values."""
    values = []
    for payload in payloads:
        envelope = build_envelope(payload, source="/tests/core-banking")
        value = envelope.encode()
        await producer.send(payload.topic, value=value, key=envelope.key, headers=headers())
        values.append(value.decode())
    await producer.flush()
    return values


async def resend(producer: AIOKafkaProducer, topic: str, key: str, value: str) -> None:
    """Deliver a record again, unchanged (the broker's at-least-once redelivery)."""
    await producer.send_and_wait(topic, value=value.encode(), key=key.encode(), headers=headers())


async def value_of(api: httpx.AsyncClient, customer: str) -> dict[str, Any] | None:
    """The customer's value from the API, or None while segmentation does not know them."""
    response = await api.get(f"/v1/customers/{customer}/value")
    if response.status_code == 404:
        return None
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    return body


class Published:
    """Every event segmentation published on ``segmentation.values``, decoded, by customer."""

    def __init__(self) -> None:
        self.by_customer: dict[str, list[Any]] = {}
        self.envelopes: dict[str, list[Envelope]] = {}

    def add(self, value: bytes) -> None:
        """Decode one record (envelope, then the payload's contract) and keep both."""
        envelope = decode(value)
        payload = CONTRACTS[envelope.type].model_validate(envelope.data)
        self.by_customer.setdefault(envelope.subject or "", []).append(payload)
        self.envelopes.setdefault(envelope.subject or "", []).append(envelope)

    def of(self, customer: str, kind: type[Any] | None = None) -> list[Any]:
        """The customer's events so far (of one type, when given)."""
        events = self.by_customer.get(customer, [])
        return [e for e in events if kind is None or isinstance(e, kind)]


async def published_of(published: Published, customer: str, kind: type[Any]) -> list[Any]:
    """The customer's published events of one type (a probe for `eventually`)."""
    return published.of(customer, kind)
