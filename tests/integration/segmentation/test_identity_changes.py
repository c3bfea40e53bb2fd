"""Identity changes: a merge folds the merged customer into the survivor; erasure deletes."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from services.segmentation.adapters.orm import activity_day, balance_snapshot, product_holding
from tests.integration.segmentation.kit import (
    balance,
    customer_id,
    days_ago,
    erased,
    merged,
    product_opened,
    send,
    transaction,
    value_of,
)
from tests.support import eventually

pytestmark = pytest.mark.xdist_group("segmentation")


async def _txn_count(api: Any, customer: str, count: int) -> dict[str, Any] | None:
    value = await value_of(api, customer)
    return value if value and value["activity"]["all"]["txn_count"] == count else None


async def test_a_merge_folds_the_merged_customer_into_the_survivor(
    worker: Any, api: Any, producer: Any
) -> None:
    survivor, duplicate = customer_id("s"), customer_id("m")
    await send(
        producer,
        transaction(survivor, 100.0, occurred_at=days_ago(3)),
        transaction(survivor, 50.0, occurred_at=days_ago(40)),
        balance(survivor, 300_000.0),
        transaction(duplicate, 30.0, occurred_at=days_ago(3)),  # the same day as the survivor's
        transaction(duplicate, 20.0, occurred_at=days_ago(500)),
        balance(duplicate, 400_000.0),
        product_opened(duplicate, "credit_card", "card"),
    )
    await eventually(lambda: _txn_count(api, duplicate, 2))

    await send(producer, merged(survivor, duplicate))
    value = await eventually(lambda: _txn_count(api, survivor, 4))

    assert value["activity"]["all"]["txn_amount"] == 200.0
    assert value["activity"]["30d"]["txn_amount"] == 130.0
    assert value["active_days"] == 3  # two ids on one day is one purchase day
    assert value["first_activity_at"].startswith(days_ago(500).date().isoformat())
    assert value["balances"]["financial_assets"] == 700_000.0
    assert value["tier"]["tier"] == "affluent"
    assert value["products"] == ["credit_card"]
    answered = await value_of(api, duplicate)
    assert answered is not None and answered["customer_id"] == survivor


async def test_events_for_a_merged_id_land_on_the_survivor(
    worker: Any, api: Any, producer: Any
) -> None:
    survivor, duplicate = customer_id("s"), customer_id("m")
    await send(producer, transaction(survivor, 10.0), merged(survivor, duplicate))
    await eventually(lambda: value_of(api, survivor))

    await send(producer, transaction(duplicate, 5.0))

    value = await eventually(lambda: _txn_count(api, survivor, 2))
    assert value["activity"]["all"]["txn_amount"] == 15.0


async def test_erasure_deletes_everything_about_the_customer(
    worker: Any, api: Any, producer: Any
) -> None:
    customer = customer_id("e")
    await send(
        producer,
        transaction(customer, 10.0),
        balance(customer, 1000.0),
        product_opened(customer, "savings", "deposit"),
    )
    await eventually(lambda: _txn_count(api, customer, 1))

    await send(producer, erased(customer))

    async def gone() -> bool:
        return (await api.get(f"/v1/customers/{customer}/value")).status_code == 404

    await eventually(gone)
    async with worker.runtime.sessions() as session:
        for table in (activity_day, balance_snapshot, product_holding):
            query = select(func.count()).where(table.c.customer_id == customer)
            assert await session.scalar(query) == 0, table.name
