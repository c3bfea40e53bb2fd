"""A customer's running profile: totals, first/last activity, balances, windows; and its folds.

Folding is order-independent: any order of the same events leaves the same profile (first and
last activity are minima and maxima, buckets are sums keyed by event day, the latest balance is
the one with the latest ``as_of``). The only state a fold needs beyond the profile is the
bucket of the event's day, which the caller loads and saves with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from services.segmentation.domain.activity import (
    WINDOW_COLUMNS,
    DayDelta,
    add_to_windows,
    epoch_day,
)

T = TypeVar("T")


def _zero_sums() -> dict[str, float]:
    return dict.fromkeys(WINDOW_COLUMNS, 0.0)


@dataclass(slots=True)
class Balances:
    """A balance snapshot's figures (yuan)."""

    deposits: float = 0.0
    investments: float = 0.0
    loans_outstanding: float = 0.0
    financial_assets: float = 0.0


@dataclass(slots=True)
class Profile:
    """What segmentation knows about one customer, kept current event by event."""

    customer_id: str
    first_seen_at: dt.datetime
    windows_on: int
    kind: str | None = None
    home_branch: str | None = None
    registered_at: dt.datetime | None = None
    stage: str | None = None
    stage_at: dt.datetime | None = None
    first_transaction_at: dt.datetime | None = None
    last_transaction_at: dt.datetime | None = None
    first_day: int | None = None  # epoch day of the first transaction
    last_day: int | None = None
    first_day_amount: float = 0.0  # spend on the first transaction day (CLV's summary)
    active_days: int = 0  # distinct days with a transaction
    first_activity_day: int | None = None  # first day with any bucket (windows of "all")
    sums: dict[str, float] = field(default_factory=_zero_sums)
    balance_as_of: dt.date | None = None
    balances: Balances | None = None
    products: str = ""  # codes of the products held, sorted, comma-separated
    product_kinds: str = ""

    def start_day(self) -> int:
        """The day the relationship began: the earliest of first sight, registration, activity."""
        days = [epoch_day(self.first_seen_at)]
        if self.registered_at is not None:
            days.append(epoch_day(self.registered_at))
        if self.first_activity_day is not None:
            days.append(self.first_activity_day)
        return min(days)

    def add_day(self, day: int, delta: DayDelta) -> None:
        """Add a day's delta to the window sums and note the first day of activity."""
        add_to_windows(self.sums, day, delta, on=self.windows_on)
        if self.first_activity_day is None or day < self.first_activity_day:
            self.first_activity_day = day


def fold_transaction(
    profile: Profile,
    bucket: DayDelta,
    *,
    occurred_at: dt.datetime,
    amount: float,
    fee_income: float,
    cost_to_serve: float,
) -> None:
    """Fold one posted transaction into the profile and its day's bucket."""
    day = epoch_day(occurred_at)
    delta = DayDelta(
        txn_count=1, txn_amount=amount, fee_income=fee_income, cost_to_serve=cost_to_serve
    )
    if bucket.txn_count == 0:
        profile.active_days += 1
    bucket.add(delta)
    profile.add_day(day, delta)
    if profile.first_day is None or day < profile.first_day:
        profile.first_day, profile.first_day_amount = day, amount
    elif day == profile.first_day:
        profile.first_day_amount += amount
    if profile.last_day is None or day > profile.last_day:
        profile.last_day = day
    first, last = profile.first_transaction_at, profile.last_transaction_at
    profile.first_transaction_at = occurred_at if first is None else min(first, occurred_at)
    profile.last_transaction_at = occurred_at if last is None else max(last, occurred_at)


def balance_change(new: Balances, before: Balances | None) -> DayDelta:
    """The change a snapshot makes to the balance in effect on its day."""
    base = before or Balances()
    return DayDelta(
        deposit_delta=new.deposits - base.deposits,
        loan_delta=new.loans_outstanding - base.loans_outstanding,
    )


def fold_latest_balances(profile: Profile, *, as_of: dt.date, balances: Balances) -> None:
    """Keep the snapshot with the latest ``as_of`` as the customer's current balances."""
    if profile.balance_as_of is None or as_of >= profile.balance_as_of:
        profile.balance_as_of = as_of
        profile.balances = balances


def fold_stage(profile: Profile, *, stage: str, occurred_at: dt.datetime) -> None:
    """Record a lifecycle stage change unless a later one is already known."""
    if profile.stage_at is None or occurred_at >= profile.stage_at:
        profile.stage, profile.stage_at = stage, occurred_at


def fold_identity(
    profile: Profile, *, kind: str, home_branch: str | None, occurred_at: dt.datetime
) -> None:
    """Record what identity says about the customer (kind and home branch)."""
    profile.kind = kind
    profile.home_branch = home_branch or profile.home_branch
    if profile.registered_at is None or occurred_at < profile.registered_at:
        profile.registered_at = occurred_at


def merge_profiles(survivor: Profile, merged: Profile) -> None:
    """Fold the merged customer's profile into the survivor's (buckets are merged apart).

    Both profiles' sums must be valid on the same day. Balances add up: the two ids held
    different accounts until identity found they were one customer.
    """
    for column, value in merged.sums.items():
        survivor.sums[column] += value
    survivor.active_days += merged.active_days  # corrected by the caller for shared days
    _merge_firsts(survivor, merged)
    survivor.balances, survivor.balance_as_of = _added_balances(survivor, merged)
    survivor.kind = survivor.kind or merged.kind
    survivor.home_branch = survivor.home_branch or merged.home_branch
    survivor.first_seen_at = min(survivor.first_seen_at, merged.first_seen_at)
    if merged.stage_at is not None and merged.stage is not None and survivor.stage is None:
        survivor.stage, survivor.stage_at = merged.stage, merged.stage_at


def _merge_firsts(survivor: Profile, merged: Profile) -> None:
    if merged.first_day is not None:
        if survivor.first_day is None or merged.first_day < survivor.first_day:
            survivor.first_day_amount = merged.first_day_amount
            survivor.first_day = merged.first_day
        elif merged.first_day == survivor.first_day:
            survivor.first_day_amount += merged.first_day_amount
    survivor.last_day = _pick(max, survivor.last_day, merged.last_day)
    survivor.first_activity_day = _pick(min, survivor.first_activity_day, merged.first_activity_day)
    survivor.first_transaction_at = _pick(
        min, survivor.first_transaction_at, merged.first_transaction_at
    )
    survivor.last_transaction_at = _pick(
        max, survivor.last_transaction_at, merged.last_transaction_at
    )


def _pick(choose: Callable[[T, T], T], a: T | None, b: T | None) -> T | None:
    if a is None:
        return b
    if b is None:
        return a
    return choose(a, b)


def _added_balances(a: Profile, b: Profile) -> tuple[Balances | None, dt.date | None]:
    if a.balances is None or b.balances is None:
        chosen = a if a.balances is not None else b
        return chosen.balances, chosen.balance_as_of
    total = Balances(
        deposits=a.balances.deposits + b.balances.deposits,
        investments=a.balances.investments + b.balances.investments,
        loans_outstanding=a.balances.loans_outstanding + b.balances.loans_outstanding,
        financial_assets=a.balances.financial_assets + b.balances.financial_assets,
    )
    return total, max(d for d in (a.balance_as_of, b.balance_as_of) if d is not None)
