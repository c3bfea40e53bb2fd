"""Late and reordered balance snapshots and product events leave the same state as in order."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from services.segmentation.adapters import profiles as store
from services.segmentation.adapters.orm import activity_day
from services.segmentation.events import SUBSCRIPTIONS
from shared.contracts import ProductClosed, ProductOpened
from tests.integration.segmentation.kit import NOW, balance, customer_id

pytestmark = pytest.mark.xdist_group("segmentation")


async def fold_each(container: Any, events: list[Any]) -> None:
    """Fold events one transaction each, as separate deliveries would."""
    for event in events:
        async with container.uow() as uow:
            for handler in SUBSCRIPTIONS[event.event_type]:
                await handler(event, uow=uow)
            await uow.commit()


async def state(container: Any, customer: str) -> tuple[Any, dict[int, tuple[float, float]]]:
    async with container.runtime.sessions() as session:
        profile = (await store.load_profiles(session, {customer}, lock=False))[customer]
        rows = await session.execute(
            select(activity_day.c.day, activity_day.c.deposit_delta, activity_day.c.loan_delta)
            .where(activity_day.c.customer_id == customer)
            .order_by(activity_day.c.day)
        )
        buckets = {
            r.day: (r.deposit_delta, r.loan_delta) for r in rows if r.deposit_delta or r.loan_delta
        }
    return profile, buckets


def snapshots(customer: str) -> list[Any]:
    day = NOW.date()
    return [
        balance(customer, 1000.0, as_of=day - dt.timedelta(days=50), loans_outstanding=5),
        balance(customer, 4000.0, as_of=day - dt.timedelta(days=20), loans_outstanding=0),
        balance(customer, 2500.0, as_of=day - dt.timedelta(days=5), loans_outstanding=9),
    ]


async def test_late_balance_snapshots_fold_to_the_in_order_state(container: Any) -> None:
    in_order, shuffled = customer_id("o"), customer_id("s")
    first, middle, last = snapshots(shuffled)

    await fold_each(container, snapshots(in_order))
    await fold_each(container, [last, first, middle])  # the middle one lands between two

    expected, expected_buckets = await state(container, in_order)
    got, got_buckets = await state(container, shuffled)
    assert got.balances == expected.balances and got.balance_as_of == expected.balance_as_of
    assert got.balances is not None and got.balances.deposits == 2500.0
    assert got_buckets == expected_buckets
    assert got.sums == pytest.approx(expected.sums)


async def test_a_close_arriving_before_its_open_leaves_the_product_closed(container: Any) -> None:
    customer = customer_id()
    opened = ProductOpened(
        customer_id=customer,
        account_id="a-1",
        product="gold_card",
        kind="card",
        occurred_at=NOW - dt.timedelta(days=3),
    )
    closed = ProductClosed(
        customer_id=customer, account_id="a-1", product="gold_card", kind="card", occurred_at=NOW
    )
    reopened = ProductOpened(
        customer_id=customer,
        account_id="a-2",
        product="savings",
        kind="deposit",
        occurred_at=NOW,
    )

    await fold_each(container, [closed, opened, reopened])

    profile, _ = await state(container, customer)
    assert (profile.products, profile.product_kinds) == ("savings", "deposit")
