"""The embedded default: the same folds and reads on SQLite (``make run``)."""

from __future__ import annotations

from pathlib import Path

from services.segmentation.bootstrap import bootstrap
from services.segmentation.events import SUBSCRIPTIONS
from services.segmentation.handlers.customers import customer_value
from tests.integration.segmentation.kit import (
    balance,
    customer_id,
    days_ago,
    merged,
    product_opened,
    transaction,
)
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
