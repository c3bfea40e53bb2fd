"""Event handlers record the right folds, priced with the configured parameters."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from services.segmentation.domain.contribution import ContributionParams
from services.segmentation.domain.profile import Balances
from services.segmentation.domain.valuation import ValuationParams
from services.segmentation.handlers import folding
from shared.contracts import BalanceSnapshotted, ProductClosed, StageChanged, TransactionPosted

NOW = dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)


@dataclass
class FakeBuffer:
    """Records folds as the real buffer queues them."""

    folds: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def record(self, fold: str, customer_id: str, /, **data: Any) -> None:
        self.folds.append((fold, customer_id, data))


@dataclass
class FakeUoW:
    """The parts of `SegmentationUoW` the folding handlers use."""

    params: ValuationParams = field(default_factory=ValuationParams)
    activity: FakeBuffer = field(default_factory=FakeBuffer)


def posted(**overrides: Any) -> TransactionPosted:
    fields: dict[str, Any] = {
        "transaction_id": "t-1",
        "customer_id": "c-1",
        "account_id": "a-1",
        "product": "current_account",
        "direction": "credit",
        "amount": Decimal("120.50"),
        "channel": "branch",
        "occurred_at": NOW,
    }
    return TransactionPosted(**{**fields, **overrides})


@pytest.mark.parametrize(
    ("carried", "replaces", "cost"),
    [(0, False, 12.0), (3, False, 15.0), (3, True, 3.0), (0, True, 12.0)],
)
async def test_a_transaction_is_priced_at_the_channel_unit_cost_plus_what_it_carries(
    carried: int, replaces: bool, cost: float
) -> None:
    params = ContributionParams(carried_cost_replaces_unit_cost=replaces)
    uow = FakeUoW(params=ValuationParams(contribution=params))

    await folding.when_transaction_posted_fold_activity(
        posted(cost_to_serve=Decimal(carried), fee_income=Decimal("2.5")),
        uow=uow,  # type: ignore[arg-type]
    )

    [(fold, customer, data)] = uow.activity.folds
    assert (fold, customer) == ("transaction", "c-1")
    assert data == {
        "occurred_at": NOW,
        "amount": 120.5,
        "fee_income": 2.5,
        "cost_to_serve": cost,
    }


async def test_an_unlisted_channel_costs_the_default_unit_cost() -> None:
    uow = FakeUoW()

    await folding.when_transaction_posted_fold_activity(posted(channel="kiosk"), uow=uow)  # type: ignore[arg-type]

    assert uow.activity.folds[0][2]["cost_to_serve"] == 1.0


async def test_a_balance_snapshot_is_folded_as_plain_numbers() -> None:
    uow = FakeUoW()
    event = BalanceSnapshotted(
        customer_id="c-1",
        as_of=dt.date(2026, 4, 30),
        deposits=Decimal("1000.25"),
        loans_outstanding=Decimal(500),
        financial_assets=Decimal("1000.25"),
    )

    await folding.when_balance_snapshotted_fold_balances(event, uow=uow)  # type: ignore[arg-type]

    assert uow.activity.folds == [
        (
            "balance",
            "c-1",
            {
                "as_of": dt.date(2026, 4, 30),
                "balances": Balances(1000.25, 0.0, 500.0, 1000.25),
            },
        )
    ]


async def test_closing_a_product_and_changing_stage_are_recorded_in_order() -> None:
    uow = FakeUoW()
    closed = ProductClosed(
        customer_id="c-1", account_id="a-9", product="gold_card", kind="card", occurred_at=NOW
    )
    moved = StageChanged.model_validate(
        {"customer_id": "c-1", "from": "development", "to": "growth", "occurred_at": NOW}
    )

    await folding.when_product_closed_fold_holding(closed, uow=uow)  # type: ignore[arg-type]
    await folding.when_stage_changed_note_stage(moved, uow=uow)  # type: ignore[arg-type]

    assert [(f, d.get("opened"), d.get("stage")) for f, _, d in uow.activity.folds] == [
        ("product", False, None),
        ("stage", None, "growth"),
    ]
