"""Calendar-month periods of one customer's activity, for contribution per period."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from services.segmentation.domain.activity import DayDelta, day_date, epoch_day
from services.segmentation.domain.contribution import (
    Contribution,
    ContributionParams,
    PeriodActivity,
    compute_contribution,
)


@dataclass(frozen=True, slots=True)
class Period:
    """One month (to date, for the current one) of a customer's activity and contribution."""

    start: dt.date
    end: dt.date  # inclusive
    txn_count: int
    txn_amount: float
    contribution: Contribution


def month_starts(today: int, months: int) -> list[int]:
    """Epoch days of the first day of the last ``months`` months, oldest first."""
    first = day_date(today).replace(day=1)
    starts = []
    for back in range(months - 1, -1, -1):
        year, month = divmod(first.year * 12 + first.month - 1 - back, 12)
        starts.append(epoch_day(dt.date(year, month + 1, 1)))
    return starts


def monthly_periods(
    buckets: Iterable[tuple[int, DayDelta]],
    *,
    opening: DayDelta,
    today: int,
    months: int,
    params: ContributionParams,
) -> list[Period]:
    """Contribution per month over the last ``months`` months.

    ``buckets`` are the customer's buckets from the first of those months on (any order);
    ``opening`` sums the balance changes of every earlier day (the balances carried in).
    """
    starts = month_starts(today, months)
    ends = [*(s - 1 for s in starts[1:]), today]
    ordered = sorted(buckets, key=lambda item: item[0])
    balances = (opening.deposit_delta, opening.loan_delta)
    periods = []
    for start, end in zip(starts, ends, strict=True):
        inside = [(d, b) for d, b in ordered if start <= d <= end]
        period, balances = _period(start, end, inside, balances, params)
        periods.append(period)
    return periods


def _period(
    start: int,
    end: int,
    inside: list[tuple[int, DayDelta]],
    balances: tuple[float, float],
    params: ContributionParams,
) -> tuple[Period, tuple[float, float]]:
    """One month from its buckets and the (deposit, loan) balances carried in; and out."""
    deposit, loan = balances
    days = end - start + 1
    deposit_days = deposit * days + sum(b.deposit_delta * (end - d + 1) for d, b in inside)
    loan_days = loan * days + sum(b.loan_delta * (end - d + 1) for d, b in inside)
    activity = PeriodActivity(
        days=days,
        fee_income=sum(b.fee_income for _, b in inside),
        avg_deposit_balance=deposit_days / days,
        avg_loan_balance=loan_days / days,
        carried_cost=sum(b.cost_to_serve for _, b in inside),
    )
    period = Period(
        start=day_date(start),
        end=day_date(end),
        txn_count=sum(b.txn_count for _, b in inside),
        txn_amount=sum(b.txn_amount for _, b in inside),
        contribution=compute_contribution(activity, params),
    )
    carried = (
        deposit + sum(b.deposit_delta for _, b in inside),
        loan + sum(b.loan_delta for _, b in inside),
    )
    return period, carried
