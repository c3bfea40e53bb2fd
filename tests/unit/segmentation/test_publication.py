"""What gets published: changed classifications, entered and exited memberships, periods."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from services.segmentation.domain import publication
from services.segmentation.domain.activity import DayDelta, epoch_day
from services.segmentation.domain.contribution import ContributionParams
from services.segmentation.domain.periods import monthly_periods
from services.segmentation.domain.rules import segment_column


def test_only_new_or_changed_classifications_are_published() -> None:
    valued = pl.DataFrame(
        {
            "customer_id": ["same", "moved", "new", "recat"],
            "tier": ["mass", "affluent", "mass", "mass"],
            "abc_class": ["C", "B", "C", "A"],
            "categories": [[], ["migrator"], [], ["gold", "most_valuable"]],
        }
    )
    inputs = pl.DataFrame(
        {
            "customer_id": ["same", "moved", "new", "recat"],
            "tier": ["mass", "mass", None, "mass"],
            "abc_class": ["C", "B", None, "A"],
            "categories": ["", "", None, "gold"],
            "baseline_tier": [None] * 4,
            "baseline_abc_class": [None] * 4,
            "baseline_period": [None] * 4,
        },
        schema_overrides={c: pl.String for c in (*publication.BASELINES, "baseline_period")},
    )

    changed = publication.changed(publication.classification(valued, inputs))

    assert changed["customer_id"].to_list() == ["moved", "new", "recat"]
    assert changed.row(0, named=True)["categories"] == "migrator"
    assert changed.row(2, named=True)["old_categories"] == "gold"


def test_membership_changes_are_the_pairs_that_appeared_and_disappeared() -> None:
    ids = pl.Series(["a", "b", "c"])
    members = pl.DataFrame(
        {segment_column("s1"): [True, False, True], segment_column("s2"): [False, True, False]}
    )
    old = pl.DataFrame({"segment_id": ["s1", "s1", "s2"], "customer_id": ["a", "b", "c"]})

    new = publication.memberships(ids, members)
    changes = publication.membership_changes(old, new)

    assert sorted(changes.entered.rows()) == [("s1", "c"), ("s2", "b")]
    assert sorted(changes.exited.rows()) == [("s1", "b"), ("s2", "c")]


def test_monthly_periods_weight_balances_by_days_and_count_fees_and_costs() -> None:
    today = epoch_day(dt.date(2026, 3, 15))
    buckets = [
        (epoch_day(dt.date(2026, 2, 11)), DayDelta(deposit_delta=2800.0)),  # from 0 to 2,800
        (epoch_day(dt.date(2026, 3, 2)), DayDelta(txn_count=2, fee_income=10.0, cost_to_serve=4.0)),
    ]

    periods = monthly_periods(
        buckets, opening=DayDelta(), today=today, months=3, params=ContributionParams()
    )

    january, february, march = periods
    assert (january.start, march.end) == (dt.date(2026, 1, 1), dt.date(2026, 3, 15))
    assert january.contribution.total == 0.0
    # 2,800 held 18 of February's 28 days: an average of 1,800
    assert february.contribution.deposit_margin == pytest.approx(1800 * 0.01 * 28 / 365)
    assert march.txn_count == 2
    assert march.contribution.fee_income - march.contribution.cost_to_serve == 6.0
    assert march.contribution.deposit_margin == pytest.approx(2800 * 0.01 * 15 / 365)


def test_the_baseline_is_the_classification_at_the_start_of_the_month() -> None:
    inputs = pl.DataFrame(
        {
            "customer_id": ["written this month", "written before", "never classified"],
            "tier": ["private_banking", "affluent", None],
            "abc_class": ["A", "B", None],
            "baseline_tier": ["mass", "mass", None],
            "baseline_abc_class": ["C", "C", None],
            "baseline_period": ["2026-07", "2026-06", None],
        }
    )

    current = publication.current_baselines(inputs, publication.period_of(dt.datetime(2026, 7, 2)))

    assert current.select(*publication.BASELINES, "baseline_period").rows() == [
        ("mass", "C", "2026-07"),
        ("affluent", "B", "2026-07"),
        (None, None, "2026-07"),
    ]
