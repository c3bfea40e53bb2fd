"""RFM summary of a transaction log, the input of the BG/NBD and Gamma-Gamma models.

Semantics are those of ``lifetimes.utils.summary_data_from_transaction_data`` with ``freq="D"``
(and ``freq_multiplier=7`` for weeks): purchases are bucketed by calendar day, so same-day
purchases count as one purchase whose amount is their sum; ``frequency`` counts the purchase
days after the first; ``recency`` and ``T`` are day differences divided by 7 for weeks. This is
how Fader, Hardie & Lee built the CDNOW data behind the published estimates. (lifetimes'
``freq="W"`` is different: it buckets purchases into calendar weeks and does not reproduce them.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from services.segmentation.domain.errors import InvalidInputError

TimeUnit = Literal["week", "day"]
DateLike = dt.date | np.datetime64 | str

DAYS_PER_UNIT: dict[str, float] = {"week": 7.0, "day": 1.0}


class ClvDataError(InvalidInputError):
    """The data cannot be summarized or a CLV model cannot be fitted to it."""


@dataclass(frozen=True, slots=True, eq=False)
class Transactions:
    """A transaction log as parallel 1-D arrays, one element per transaction.

    ``customer_id`` may have any sortable dtype (integers are fastest); ``date`` is
    ``datetime64`` of any unit (it is floored to the day); ``amount`` is the spend.
    """

    customer_id: NDArray[Any]
    date: NDArray[np.datetime64]
    amount: NDArray[np.float64]

    def __post_init__(self) -> None:
        sizes = {self.customer_id.shape, self.date.shape, self.amount.shape}
        if len(sizes) != 1 or self.customer_id.ndim != 1:
            raise ClvDataError("customer_id, date and amount must be 1-D arrays of one length")
        if not np.issubdtype(self.date.dtype, np.datetime64):
            raise ClvDataError(f"date must be a datetime64 array, got {self.date.dtype}")
        if np.isnat(self.date).any() or not np.isfinite(self.amount).all():
            raise ClvDataError("dates and amounts must not be missing")


@dataclass(frozen=True, slots=True, eq=False)
class RfmSummary:
    """Per-customer frequency, recency, age ``T`` and mean repeat spend, in ``time_unit``s.

    Customers are sorted by id. ``frequency`` is the number of repeat purchase days;
    ``monetary_value`` is the mean spend of those repeat days (0 when there are none).
    """

    customer_id: NDArray[Any]
    frequency: NDArray[np.int64]
    recency: NDArray[np.float64]
    T: NDArray[np.float64]
    monetary_value: NDArray[np.float64]
    time_unit: TimeUnit = "week"

    def __post_init__(self) -> None:
        n = self.frequency.shape[0]
        arrays = (self.customer_id, self.frequency, self.recency, self.T, self.monetary_value)
        if any(arr.shape != (n,) for arr in arrays):
            raise ClvDataError("summary arrays must be 1-D and of one length")
        if self.time_unit not in DAYS_PER_UNIT:
            raise ClvDataError(f"time_unit must be 'week' or 'day', got {self.time_unit!r}")
        if not (np.isfinite(self.T).all() and np.isfinite(self.monetary_value).all()):
            raise ClvDataError("T and monetary_value must be finite")
        if (self.frequency < 0).any() or (self.recency < 0).any():
            raise ClvDataError("frequency and recency must not be negative")
        if (self.recency > self.T).any():
            raise ClvDataError("recency must not exceed T (the customer's age)")
        if (self.recency[self.frequency == 0] != 0).any():
            raise ClvDataError("recency must be 0 for customers without repeat purchases")

    @property
    def size(self) -> int:
        """Number of customers."""
        return int(self.frequency.shape[0])


def summarize(
    transactions: Transactions,
    *,
    calibration_end: DateLike | None = None,
    time_unit: TimeUnit = "week",
    observation_end: DateLike | None = None,
) -> RfmSummary:
    """Build the lifetimes-style RFM summary of a transaction log, vectorized.

    The period ends at ``calibration_end`` when fitting on a calibration window; otherwise at
    ``observation_end`` (lifetimes' ``observation_period_end``, the end of the data), else at
    the last transaction day. ``T`` runs to that end; later transactions are ignored, and so
    are customers whose first purchase is later. Both ends given: calibration must come first.
    """
    if time_unit not in DAYS_PER_UNIT:
        raise ClvDataError(f"time_unit must be 'week' or 'day', got {time_unit!r}")
    days = transactions.date.astype("datetime64[D]").astype(np.int64)
    end = _end_day(days, calibration_end, observation_end)
    keep = days <= end
    ids, days, amounts = transactions.customer_id[keep], days[keep], transactions.amount[keep]
    if ids.size == 0:
        raise ClvDataError("no transactions on or before the end of the period")
    order = _customer_day_order(ids, days)
    ids, days, amounts = ids[order], days[order], amounts[order]
    day_starts = np.flatnonzero(_run_starts(ids, days))
    day_ids, day_days = ids[day_starts], days[day_starts]
    day_amounts = np.add.reduceat(amounts.astype(np.float64), day_starts)
    first_day_mask = _run_starts(day_ids)
    return _per_customer(day_ids, day_days, day_amounts, first_day_mask, end, time_unit)


def _end_day(
    days: NDArray[np.int64], calibration: DateLike | None, observed: DateLike | None
) -> int:
    """The last day (days since the epoch) that counts, by the precedence in `summarize`."""
    if calibration is not None and observed is not None and _day(calibration) > _day(observed):
        raise ClvDataError("calibration_end must not be after observation_end")
    if calibration is not None:
        return _day(calibration)
    if observed is not None:
        return _day(observed)
    if days.size == 0:
        raise ClvDataError("no transactions to summarize")
    return int(days.max())


def _customer_day_order(ids: NDArray[Any], days: NDArray[np.int64]) -> NDArray[np.intp]:
    """Indices that sort the rows by customer, then day."""
    if np.issubdtype(ids.dtype, np.integer):
        low_id, low_day = int(ids.min()), int(days.min())
        day_span = int(days.max()) - low_day + 1
        if (int(ids.max()) - low_id + 1) * day_span < 2**62:
            # One integer key sorts several times faster than a two-key lexsort.
            key = (ids - low_id).astype(np.int64) * day_span + (days - low_day)
            return np.argsort(key)
    return np.lexsort((days, ids))


def _day(value: DateLike) -> int:
    return int(np.asarray(value, dtype="datetime64[D]").astype(np.int64))


def _run_starts(*keys: NDArray[Any]) -> NDArray[np.bool_]:
    """Mark elements of sorted parallel keys that differ from their predecessor in any key."""
    starts = np.zeros(keys[0].shape[0], dtype=np.bool_)
    starts[:1] = True
    for key in keys:
        starts[1:] |= key[1:] != key[:-1]
    return starts


def _per_customer(
    day_ids: NDArray[Any],
    day_days: NDArray[np.int64],
    day_amounts: NDArray[np.float64],
    is_first: NDArray[np.bool_],
    end: int,
    time_unit: TimeUnit,
) -> RfmSummary:
    """Fold purchase days (sorted by customer, then day) into one summary row per customer."""
    starts = np.flatnonzero(is_first)
    stops = np.append(starts[1:], day_ids.shape[0])
    frequency = (stops - starts - 1).astype(np.int64)
    # Zero the first day rather than subtracting it from a total: no cancellation error.
    repeat_spend = np.add.reduceat(np.where(is_first, 0.0, day_amounts), starts)
    monetary = np.zeros(starts.shape[0])
    np.divide(repeat_spend, frequency, out=monetary, where=frequency > 0)
    unit = DAYS_PER_UNIT[time_unit]
    first, last = day_days[starts], day_days[stops - 1]
    return RfmSummary(
        customer_id=day_ids[starts],
        frequency=frequency,
        recency=(last - first) / unit,
        T=(end - first) / unit,
        monetary_value=monetary,
        time_unit=time_unit,
    )
