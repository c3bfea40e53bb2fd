import datetime as dt
import random
from typing import Any

import numpy as np
import pytest

from services.segmentation.domain.contribution import (
    ContributionParams,
    PeriodActivity,
    accrue_balance,
    add_transaction,
    average_balance,
    compute_contribution,
    compute_contribution_batch,
    start_accrual,
)
from services.segmentation.domain.errors import InvalidParametersError

PARAMS = ContributionParams(
    ftp_rate=0.02,
    deposit_rate=0.01,
    loan_rate=0.05,
    channel_unit_costs={"branch": 10.0, "mobile_banking": 0.5},
    default_unit_cost=2.0,
)


def make_activity(**overrides):
    fields: dict[str, Any] = {
        "days": 365,
        "fee_income": 300.0,
        "avg_deposit_balance": 1_000_000.0,
        "avg_loan_balance": 200_000.0,
        "txn_counts": {"branch": 2, "mobile_banking": 10, "atm": 1},
        "carried_counts": {"branch": 1},
        "carried_cost": 25.0,
    }
    return PeriodActivity(**(fields | overrides))


def test_contribution_is_fees_plus_margins_minus_cost_to_serve():
    result = compute_contribution(make_activity(), PARAMS)

    assert result.deposit_margin == pytest.approx(1_000_000 * 0.01)
    assert result.loan_margin == pytest.approx(200_000 * 0.03)
    # 2 branch × 10 + 10 mobile × 0.5 + 1 atm at the default 2.0, plus the carried 25
    assert result.cost_to_serve == pytest.approx(20 + 5 + 2 + 25)
    assert result.total == pytest.approx(300 + 10_000 + 6_000 - 52)


def test_margins_are_prorated_by_period_length():
    month = compute_contribution(make_activity(days=30), PARAMS)

    assert month.deposit_margin == pytest.approx(1_000_000 * 0.01 * 30 / 365)


def test_carried_cost_can_replace_the_channel_unit_cost():
    replacing = ContributionParams(
        ftp_rate=0.02,
        deposit_rate=0.01,
        loan_rate=0.05,
        channel_unit_costs={"branch": 10.0, "mobile_banking": 0.5},
        default_unit_cost=2.0,
        carried_cost_replaces_unit_cost=True,
    )

    result = compute_contribution(make_activity(), replacing)

    # the branch transaction that carried its own cost is not also charged the unit cost
    assert result.cost_to_serve == pytest.approx(10 + 5 + 2 + 25)


def test_expected_loss_lowers_the_loan_margin():
    params = ContributionParams(ftp_rate=0.02, loan_rate=0.05, loan_expected_loss_rate=0.01)

    result = compute_contribution(make_activity(avg_deposit_balance=0.0), params)

    assert result.loan_margin == pytest.approx(200_000 * 0.02)


def test_a_costly_customer_without_balances_contributes_below_zero():
    activity = make_activity(fee_income=0.0, avg_deposit_balance=0.0, avg_loan_balance=0.0)

    assert compute_contribution(activity, PARAMS).total < 0


def test_folding_transactions_matches_the_counts():
    activity = PeriodActivity(days=30)
    activity = add_transaction(activity, channel="branch", fee_income=5.0)
    activity = add_transaction(activity, channel="branch", cost_to_serve=7.5)
    activity = add_transaction(activity, channel="wechat", fee_income=1.0)

    assert activity.txn_counts == {"branch": 2, "wechat": 1}
    assert activity.carried_counts == {"branch": 1}
    assert activity.carried_cost == 7.5
    assert activity.fee_income == 6.0
    assert compute_contribution(activity, PARAMS).cost_to_serve == pytest.approx(20 + 2 + 7.5)


@pytest.mark.parametrize("replaces", [False, True])
def test_batch_gives_the_per_customer_answers(replaces):
    params = ContributionParams(
        channel_unit_costs={"branch": 9.0, "atm": 1.5},
        carried_cost_replaces_unit_cost=replaces,
    )
    rng = random.Random(11)
    activities = [_random_activity(rng) for _ in range(200)]

    batch = compute_contribution_batch(
        days=np.array([a.days for a in activities], dtype=float),
        fee_income=np.array([a.fee_income for a in activities]),
        avg_deposit_balance=np.array([a.avg_deposit_balance for a in activities]),
        avg_loan_balance=np.array([a.avg_loan_balance for a in activities]),
        txn_counts=_per_channel(activities, "txn_counts"),
        carried_counts=_per_channel(activities, "carried_counts"),
        carried_cost=np.array([a.carried_cost for a in activities]),
        params=params,
    )

    expected = [compute_contribution(a, params).total for a in activities]
    np.testing.assert_allclose(batch.total, expected, rtol=1e-12, atol=1e-9)


def _random_activity(rng):
    channels = ("branch", "atm", "mobile_banking")
    counts = {c: rng.randint(0, 20) for c in channels}
    carried = {c: rng.randint(0, n) for c, n in counts.items()}
    return PeriodActivity(
        days=rng.choice((30, 90, 365)),
        fee_income=rng.uniform(0, 500),
        avg_deposit_balance=rng.uniform(0, 2e6),
        avg_loan_balance=rng.choice((0.0, rng.uniform(0, 1e6))),
        txn_counts=counts,
        carried_counts=carried,
        carried_cost=rng.uniform(0, 50) if any(carried.values()) else 0.0,
    )


def _per_channel(activities, attribute):
    channels = {c for a in activities for c in getattr(a, attribute)}
    return {
        c: np.array([getattr(a, attribute).get(c, 0) for a in activities], dtype=float)
        for c in channels
    }


def test_average_balance_is_time_weighted_over_the_period():
    acc = start_accrual(dt.date(2025, 1, 1), opening_balance=100.0)
    acc = accrue_balance(acc, as_of=dt.date(2025, 1, 11), balance=400.0)  # 10 days at 100

    # then 20 days at 400 up to the period end
    assert average_balance(acc, period_end=dt.date(2025, 1, 31)) == pytest.approx(
        (10 * 100 + 20 * 400) / 30
    )


def test_a_stale_balance_snapshot_is_ignored():
    acc = start_accrual(dt.date(2025, 1, 1))
    acc = accrue_balance(acc, as_of=dt.date(2025, 1, 10), balance=50.0)

    assert accrue_balance(acc, as_of=dt.date(2025, 1, 5), balance=9e9) == acc


@pytest.mark.parametrize(
    "overrides",
    [{"ftp_rate": float("nan")}, {"default_unit_cost": -1.0}, {"days_per_year": 0}],
)
def test_inconsistent_parameters_are_refused(overrides):
    with pytest.raises(InvalidParametersError):
        ContributionParams(**overrides)
