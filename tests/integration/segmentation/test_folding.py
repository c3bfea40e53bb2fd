"""Folding banking events through the broker into per-customer aggregates and windows."""

from __future__ import annotations

from typing import Any

import pytest

from shared import context
from shared.contracts import ValueChanged
from shared.envelope import Envelope, decode
from tests.integration.segmentation.kit import (
    balance,
    customer_id,
    days_ago,
    product_opened,
    resend,
    send,
    transaction,
    value_of,
)
from tests.support import eventually

pytestmark = pytest.mark.xdist_group("segmentation")


async def test_a_transaction_for_an_unknown_customer_creates_the_profile(
    worker: Any, api: Any, producer: Any
) -> None:
    customer = customer_id()

    await send(producer, transaction(customer, 250.0, fee_income=3, channel="branch"))

    value = await eventually(lambda: value_of(api, customer))
    assert value["activity"]["all"]["txn_count"] == 1
    assert value["activity"]["all"]["txn_amount"] == 250.0
    assert value["activity"]["30d"]["fee_income"] == 3.0
    assert value["activity"]["30d"]["cost_to_serve"] == 12.0  # the branch's unit cost
    assert value["active_days"] == 1


async def test_late_and_out_of_order_events_land_in_the_right_windows(
    worker: Any, api: Any, producer: Any
) -> None:
    customer = customer_id()
    marker = transaction(customer, 1.0, occurred_at=days_ago(1))

    await send(
        producer,
        transaction(customer, 10.0, occurred_at=days_ago(5)),
        transaction(customer, 20.0, occurred_at=days_ago(400)),  # older than every window
        transaction(customer, 30.0, occurred_at=days_ago(60)),
        transaction(customer, 40.0, occurred_at=days_ago(200)),
        marker,
    )

    value = await eventually(lambda: _with_count(api, customer, 5))
    amounts = {w: value["activity"][w]["txn_amount"] for w in ("30d", "90d", "365d", "all")}
    assert amounts == {"30d": 11.0, "90d": 41.0, "365d": 81.0, "all": 101.0}
    assert value["first_activity_at"].startswith(days_ago(400).date().isoformat())
    assert value["rfm"]["recency_days"] == 1


async def _with_count(api: Any, customer: str, count: int) -> dict[str, Any] | None:
    value = await value_of(api, customer)
    return value if value and value["activity"]["all"]["txn_count"] >= count else None


async def test_a_redelivered_event_is_counted_once(worker: Any, api: Any, producer: Any) -> None:
    customer = customer_id()
    [first] = await send(producer, transaction(customer, 70.0))
    await eventually(lambda: value_of(api, customer))

    await resend(producer, "banking.transactions", customer, first)
    await send(producer, transaction(customer, 5.0))  # same partition, after the duplicate

    value = await eventually(lambda: _with_count(api, customer, 2))
    assert value["activity"]["all"]["txn_count"] == 2
    assert value["activity"]["all"]["txn_amount"] == 75.0


async def test_balances_and_products_show_in_the_value(
    worker: Any, api: Any, producer: Any
) -> None:
    customer = customer_id()

    await send(
        producer,
        balance(customer, 5_500_000.0),
        product_opened(customer, "gold_card", "card"),
        product_opened(customer, "wealth_plan", "wealth"),
    )

    value = await eventually(lambda: _with_products(api, customer, 2))
    assert value["balances"]["financial_assets"] == 5_500_000.0
    assert value["tier"] == {"tier": "affluent", "borderline": True, "stable": False}
    assert value["product_kinds"] == ["card", "wealth"]


async def _with_products(api: Any, customer: str, count: int) -> dict[str, Any] | None:
    value = await value_of(api, customer)
    return value if value and len(value["products"]) >= count else None


async def test_what_a_transaction_changes_is_published_under_its_correlation_and_id(
    worker: Any, producer: Any, published: Any
) -> None:
    customer = customer_id()
    with context.bound(correlation="payment-7781"):
        [value] = await send(producer, transaction(customer, 80.0))
    cause = decode(value.encode())

    [changed] = await eventually(lambda: _envelopes_of(published, customer, ValueChanged))

    assert changed.correlationid == "payment-7781"
    assert changed.causationid == cause.id


async def _envelopes_of(published: Any, customer: str, kind: type[Any]) -> list[Envelope]:
    return [e for e in published.envelopes.get(customer, []) if e.type == kind.event_type]
