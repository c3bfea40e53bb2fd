"""The embedded default: the same folds and reads on SQLite (``make run``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from services.segmentation.bootstrap import bootstrap
from services.segmentation.events import SUBSCRIPTIONS
from services.segmentation.handlers.customers import customer_value
from services.segmentation.handlers.recompute import recompute_and_store
from services.segmentation.handlers.segments import CreateSegment, create_segment
from tests.integration.segmentation.kit import (
    NOW,
    balance,
    customer_id,
    days_ago,
    merged,
    product_opened,
    transaction,
)
from tests.integration.segmentation.test_passing_time import Clock, fold
from tests.support import migrate, settings_for


async def test_folding_merging_and_reading_a_value_work_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/segmentation.db"
    await migrate("segmentation", url)
    container = bootstrap(settings_for("segmentation", database_url=url))
    survivor, duplicate = customer_id(), customer_id()
    events = [
        transaction(survivor, 10.0, occurred_at=days_ago(2)),
        transaction(survivor, 20.0, occurred_at=days_ago(200)),
        balance(survivor, 700_000.0),
        product_opened(survivor, "gold_card"),
        transaction(duplicate, 5.0, occurred_at=days_ago(2)),
        merged(survivor, duplicate),
        transaction(duplicate, 1.0, occurred_at=days_ago(1)),
    ]
    try:
        async with container.uow() as uow:
            for event in events:
                for handler in SUBSCRIPTIONS[event.event_type]:
                    await handler(event, uow=uow)
            await uow.commit()
        async with container.uow() as uow:
            view = await customer_value(duplicate, uow=uow)
    finally:
        await container.runtime.close()

    assert view.profile.customer_id == survivor
    assert view.windows["all"]["txn_amount"] == 36.0
    assert view.windows["90d"]["txn_count"] == 3
    assert view.figures["tier"] == "affluent"
    assert view.profile.products == "gold_card"


async def test_the_recompute_rolls_values_and_segments_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/segmentation.db"
    await migrate("segmentation", url)
    clock = Clock(NOW)
    container = bootstrap(settings_for("segmentation", database_url=url), clock=clock)
    rich, modest = customer_id("r"), customer_id("m")
    try:
        await fold(
            container,
            transaction(rich, 10.0, occurred_at=days_ago(10)),
            balance(rich, 7_000_000.0),
            transaction(modest, 10.0, occurred_at=days_ago(10)),
        )
        async with container.uow() as uow:
            condition = {"field": "txn_count", "window": "90d", "op": "gt", "value": 0}
            await create_segment(CreateSegment("recent", "", condition, "test"), uow=uow)
            await uow.commit()
        clock.now = NOW + dt.timedelta(days=100)
        report = await recompute_and_store(container.uow())
        async with container.uow() as uow:
            rich_view = await customer_value(rich, uow=uow)
            members = await uow.values.memberships([rich, modest])
    finally:
        await container.runtime.close()

    assert report.customers == 2 and report.rolled_profiles == 2 and report.roll.is_empty()
    assert report.segment_exits == 2 and members == set()  # nobody was active in 90 days
    assert rich_view.windows["90d"]["txn_count"] == 0  # rolled in the recompute's transaction
    assert rich_view.windows["365d"]["txn_count"] == 1
    assert rich_view.figures["tier"] == "private_banking"


async def test_a_later_batch_folds_over_times_read_back_from_sqlite(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/segmentation.db"
    await migrate("segmentation", url)
    container = bootstrap(settings_for("segmentation", database_url=url))
    customer = customer_id()
    try:
        await fold(container, transaction(customer, 10.0, occurred_at=days_ago(5)))
        # the stored first transaction time comes back from SQLite and meets an aware one
        await fold(container, transaction(customer, 20.0, occurred_at=days_ago(9)))
        async with container.uow() as uow:
            view = await customer_value(customer, uow=uow)
    finally:
        await container.runtime.close()

    assert view.profile.first_transaction_at == days_ago(9)
    assert view.windows["all"]["txn_count"] == 2
