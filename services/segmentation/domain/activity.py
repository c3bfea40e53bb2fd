"""Per-customer activity: daily buckets and the trailing windows derived from them.

Every banking event becomes a `DayDelta` added to one customer's bucket for one day (UTC event
time, as days since 1970-01-01). A customer's window sums are the sums of their buckets over
the days ``(on - n, on]`` for each window of ``n`` days, where ``on`` is the day the sums are
valid for; ``all`` sums every bucket. Because a bucket is keyed by event time, a late or
out-of-order event lands on its own day and the windows stay exact; `roll` moves the sums
to a later day by subtracting the days that left a window and adding the days that entered.

Balances are folded as *changes*: a snapshot taking a balance from B to B' on day d adds
B' - B to day d's ``deposit_delta`` (and subtracts it from the day of the next snapshot when a
late snapshot lands between two others). The balance on day t is the sum of the changes up to
t, so with the window sums of the changes and of change × day ("moments") the time-weighted
average balance of any window follows without storing a balance per day (`average_balance`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import polars as pl

EPOCH = dt.date(1970, 1, 1)

WINDOW_DAYS: Mapping[str, int] = {"30d": 30, "90d": 90, "365d": 365}
ALL = "all"
WINDOWS: tuple[str, ...] = (*WINDOW_DAYS, ALL)

DAY_FIELDS = (
    "txn_count",
    "txn_amount",
    "fee_income",
    "cost_to_serve",
    "deposit_delta",
    "loan_delta",
)
MOMENT_FIELDS = {"deposit_moment": "deposit_delta", "loan_moment": "loan_delta"}
WINDOW_FIELDS: tuple[str, ...] = (*DAY_FIELDS, *MOMENT_FIELDS)


def epoch_day(value: dt.date | dt.datetime) -> int:
    """Days since 1970-01-01 of a date, or of a datetime's UTC date."""
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC).date()
    return (value - EPOCH).days


def day_date(day: int) -> dt.date:
    """The date of an epoch day."""
    return EPOCH + dt.timedelta(days=day)


def window_column(field: str, window: str) -> str:
    """Column of a window sum, like ``txn_count_90d`` (the rule catalogue's naming)."""
    return f"{field}_{window}"


WINDOW_COLUMNS: tuple[str, ...] = tuple(
    window_column(field, window) for window in WINDOWS for field in WINDOW_FIELDS
)


@dataclass(slots=True)
class DayDelta:
    """What one or more events add to one customer's bucket for one day."""

    txn_count: int = 0
    txn_amount: float = 0.0
    fee_income: float = 0.0
    cost_to_serve: float = 0.0
    deposit_delta: float = 0.0
    loan_delta: float = 0.0

    def add(self, other: DayDelta) -> None:
        """Add another delta to this one, in place."""
        self.txn_count += other.txn_count
        self.txn_amount += other.txn_amount
        self.fee_income += other.fee_income
        self.cost_to_serve += other.cost_to_serve
        self.deposit_delta += other.deposit_delta
        self.loan_delta += other.loan_delta

    def values(self) -> tuple[float, ...]:
        """The fields in `DAY_FIELDS` order."""
        return (
            self.txn_count,
            self.txn_amount,
            self.fee_income,
            self.cost_to_serve,
            self.deposit_delta,
            self.loan_delta,
        )

    def as_dict(self) -> dict[str, float]:
        """The fields by name."""
        return {
            "txn_count": self.txn_count,
            "txn_amount": self.txn_amount,
            "fee_income": self.fee_income,
            "cost_to_serve": self.cost_to_serve,
            "deposit_delta": self.deposit_delta,
            "loan_delta": self.loan_delta,
        }


def in_window(day: int, on: int, window: str) -> bool:
    """Whether ``day`` counts in ``window`` for sums valid on day ``on``."""
    if window == ALL:
        return True
    return on - WINDOW_DAYS[window] < day <= on


_SUM_COLUMNS = {w: [(window_column(f, w), f) for f in DAY_FIELDS] for w in WINDOWS}
_MOMENT_COLUMNS = {w: [(window_column(m, w), s) for m, s in MOMENT_FIELDS.items()] for w in WINDOWS}


def add_to_windows(sums: dict[str, float], day: int, delta: DayDelta, *, on: int) -> None:
    """Add one day's delta to window sums valid on day ``on``, in place."""
    values = delta.as_dict()
    for window in WINDOWS:
        if not in_window(day, on, window):
            continue
        for column, f in _SUM_COLUMNS[window]:
            sums[column] += values[f]
        for column, source in _MOMENT_COLUMNS[window]:
            sums[column] += values[source] * day


def roll(
    sums: dict[str, float], buckets: Iterable[tuple[int, DayDelta]], *, since: int, to: int
) -> None:
    """Move window sums valid on day ``since`` to day ``to``, in place.

    ``buckets`` must hold at least the customer's buckets on the days that leave or enter a
    window, ``(since - n, to - n]`` and ``(since, to]``; others are ignored.
    """
    if to <= since:
        return
    for day, delta in buckets:
        values = delta.as_dict()
        for window, n in WINDOW_DAYS.items():
            sign = int(since - n < day <= min(since, to - n)) * -1
            sign += int(max(since, to - n) < day <= to)
            if not sign:
                continue
            for f, v in values.items():
                sums[window_column(f, window)] += sign * v
            for moment, source in MOMENT_FIELDS.items():
                sums[window_column(moment, window)] += sign * values[source] * day


def roll_bands(since: int, to: int) -> list[tuple[int, int]]:
    """Day ranges ``(low, high]`` whose buckets `roll` needs to go from ``since`` to ``to``."""
    bands = [(since - n, min(since, to - n)) for n in WINDOW_DAYS.values()]
    bands.append((max(since, to - max(WINDOW_DAYS.values())), to))
    return [(low, high) for low, high in bands if high > low]


def average_balance(
    *, total_delta: float, window_delta: float, window_moment: float, end: int, days: int
) -> float:
    """Time-weighted average balance over the ``days`` days ending on day ``end``.

    ``total_delta`` is the sum of every change (the balance now); ``window_delta`` and
    ``window_moment`` the sums of the changes, and of change × day, inside the window. The
    balance on the day before the window is ``total_delta - window_delta``; each change in
    the window holds for its remaining ``end - day + 1`` days.
    """
    if days <= 0:
        return total_delta
    opening = total_delta - window_delta
    return opening + ((end + 1) * window_delta - window_moment) / days


def roll_deltas(buckets: pl.DataFrame, *, rolled_on: int | None, today: int) -> pl.DataFrame:
    """`roll` for many customers at once: what to add to each one's window sums.

    ``buckets`` has one row per bucket (``customer_id``, ``day``, the day fields) with the
    customer's ``windows_on``; a customer's sums are valid on the later of that and
    ``rolled_on``. Returns ``customer_id`` and one column per rolling window column.
    """
    since = pl.max_horizontal(pl.col("windows_on"), pl.lit(rolled_on, dtype=pl.Int64))
    since = since.fill_null(pl.col("windows_on"))
    day = pl.col("day")
    sums = []
    for window, n in WINDOW_DAYS.items():
        leave = (day > since - n) & (day <= pl.min_horizontal(since, pl.lit(today - n)))
        enter = (day > pl.max_horizontal(since, pl.lit(today - n))) & (day <= today)
        sign = enter.cast(pl.Float64) - leave.cast(pl.Float64)
        for field in DAY_FIELDS:
            sums.append((sign * pl.col(field)).sum().alias(window_column(field, window)))
        for moment, source in MOMENT_FIELDS.items():
            sums.append((sign * pl.col(source) * day).sum().alias(window_column(moment, window)))
    return buckets.group_by("customer_id").agg(sums)
