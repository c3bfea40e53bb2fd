"""Day buckets and windows: folds in any order, rolling forward, time-weighted balances."""

from __future__ import annotations

import datetime as dt
import itertools
import random

import pytest

from services.segmentation.domain.activity import (
    WINDOW_COLUMNS,
    DayDelta,
    add_to_windows,
    average_balance,
    epoch_day,
    roll,
    roll_bands,
    window_column,
)
from services.segmentation.domain.profile import (
    Balances,
    Profile,
    balance_change,
    fold_latest_balances,
    fold_transaction,
)

TODAY = epoch_day(dt.date(2025, 6, 30))
NOON = dt.time(12, tzinfo=dt.UTC)


def at(days_before: int) -> dt.datetime:
    return dt.datetime.combine(dt.date(2025, 6, 30) - dt.timedelta(days=days_before), NOON)


def new_profile(on: int = TODAY) -> Profile:
    return Profile(customer_id="c1", first_seen_at=at(0), windows_on=on)


def fold_all(profile: Profile, events: list[tuple[int, float]]) -> dict[int, DayDelta]:
    buckets: dict[int, DayDelta] = {}
    for days_before, amount in events:
        day = TODAY - days_before
        bucket = buckets.setdefault(day, DayDelta())
        fold_transaction(
            profile,
            bucket,
            occurred_at=at(days_before),
            amount=amount,
            fee_income=1.0,
            cost_to_serve=0.5,
        )
    return buckets


def brute_force(buckets: dict[int, DayDelta], on: int, field: str, days: int | None) -> float:
    return sum(getattr(b, field) for d, b in buckets.items() if days is None or on - days < d <= on)


EVENTS = [(0, 10.0), (5, 20.0), (29, 5.0), (30, 7.0), (89, 1.0), (90, 2.0), (364, 3.0), (365, 4.0)]


def test_windows_count_each_event_by_its_own_day() -> None:
    profile = new_profile()
    buckets = fold_all(profile, EVENTS)

    for window, days in (("30d", 30), ("90d", 90), ("365d", 365), ("all", None)):
        column = window_column("txn_amount", window)
        assert profile.sums[column] == brute_force(buckets, TODAY, "txn_amount", days), window
    assert profile.sums["txn_amount_30d"] == 35.0  # days 0, 5 and 29 before today


@pytest.mark.parametrize("seed", range(5))
def test_any_arrival_order_gives_the_same_profile(seed: int) -> None:
    shuffled = [*EVENTS, (5, 1.5), (200, 9.0)]
    random.Random(seed).shuffle(shuffled)
    ordered, mixed = new_profile(), new_profile()

    fold_all(ordered, sorted(shuffled))
    fold_all(mixed, shuffled)

    assert mixed.sums == pytest.approx(ordered.sums)
    assert (mixed.first_day, mixed.last_day, mixed.active_days) == (
        ordered.first_day,
        ordered.last_day,
        ordered.active_days,
    )
    assert mixed.first_day_amount == ordered.first_day_amount == 4.0
    assert mixed.active_days == 9  # two events share day 5


@pytest.mark.parametrize("gap", [1, 2, 29, 30, 31, 100, 364, 365, 366, 1000])
def test_rolling_forward_equals_recounting_the_buckets(gap: int) -> None:
    profile = new_profile()
    buckets = fold_all(profile, EVENTS)
    future = {TODAY + 3: DayDelta(txn_count=1, txn_amount=50.0)}  # a future-dated event
    for day, delta in future.items():
        profile.add_day(day, delta)
    every = {**buckets, **future}

    needed = [
        (d, b)
        for d, b in every.items()
        if any(lo < d <= hi for lo, hi in roll_bands(TODAY, TODAY + gap))
    ]
    roll(profile.sums, needed, since=TODAY, to=TODAY + gap)

    for window, days in (("30d", 30), ("90d", 90), ("365d", 365)):
        expected = brute_force(every, TODAY + gap, "txn_amount", days)
        assert profile.sums[window_column("txn_amount", window)] == pytest.approx(expected)


def test_average_balance_weights_each_balance_by_the_days_it_held() -> None:
    profile = new_profile()
    changes: dict[int, DayDelta] = {}
    # 1,000 from 100 days ago, 4,000 from 10 days ago (that day and the 10 since): over the
    # 30 days ending today the average is (19 days x 1,000 + 11 days x 4,000) / 30 = 2,100.
    for days_before, amount, before in ((100, 1000.0, None), (10, 4000.0, Balances(1000.0))):
        new = Balances(deposits=amount)
        delta = balance_change(new, before)
        changes[TODAY - days_before] = delta
        profile.add_day(TODAY - days_before, delta)
        fold_latest_balances(profile, as_of=at(days_before).date(), balances=new)

    def average(window: str, days: int) -> float:
        return average_balance(
            total_delta=profile.sums["deposit_delta_all"],
            window_delta=profile.sums[window_column("deposit_delta", window)],
            window_moment=profile.sums[window_column("deposit_moment", window)],
            end=TODAY,
            days=days,
        )

    assert average("30d", 30) == pytest.approx(2100.0)
    assert average("365d", 365) == pytest.approx((90 * 1000 + 11 * 4000) / 365)
    assert profile.balances == Balances(deposits=4000.0)


def test_a_late_snapshot_keeps_the_latest_balances() -> None:
    profile = new_profile()
    fold_latest_balances(profile, as_of=dt.date(2025, 6, 20), balances=Balances(deposits=5.0))
    fold_latest_balances(profile, as_of=dt.date(2025, 6, 1), balances=Balances(deposits=9.0))

    assert profile.balances == Balances(deposits=5.0)
    assert profile.balance_as_of == dt.date(2025, 6, 20)


def test_every_window_column_exists_for_every_field() -> None:
    sums = dict.fromkeys(WINDOW_COLUMNS, 0.0)
    add_to_windows(sums, TODAY, DayDelta(txn_count=1, deposit_delta=2.0), on=TODAY)

    assert {k for k, v in sums.items() if v} == {
        f"{field}_{w}"
        for field, w in itertools.product(
            ("txn_count", "deposit_delta", "deposit_moment"), ("30d", "90d", "365d", "all")
        )
    }
