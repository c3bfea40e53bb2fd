"""RFM (the documents' "TFM"): recency, frequency, monetary, scored 1–5 on population quintiles.

* Recency is whole days since the customer's last transaction; frequency and monetary are the
  transaction count and amount over the service's RFM window. Higher F and M score higher;
  recency scores inversely (a recent customer scores 5).
* `compute_breakpoints` takes four cuts per dimension (numpy quantiles at 20/40/60/80 %) in the
  batch recompute; `score_customer` applies them to one customer with `bisect` as events
  arrive, and `score_batch` with `searchsorted`; both give the same scores.
* Populations: recency cuts come from customers who ever transacted, F and M cuts from customers
  active in the window. A customer with no transaction in the window scores F=1 and M=1, one
  who never transacted also R=1: no activity is the lowest score whatever the spread of others.
* Ties: equal values always share a score (no arbitrary split of a tie as rank-based ``ntile``
  would do). A value lying on one breakpoint takes the lower score; a value on a run of equal
  breakpoints (a tie group straddling several quintiles) takes the middle of the quintiles it
  spans, rounded down. So a population where everyone is equal, or of a single customer, scores
  the neutral 3, and so does everyone before any breakpoints exist (empty population).
* A NaN frequency or monetary value counts as 0; a NaN recency as "never transacted".
"""

from __future__ import annotations

import datetime as dt
import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from services.segmentation.domain.vocabulary import FloatArray

QUINTILE_PROBABILITIES = (0.2, 0.4, 0.6, 0.8)
NEUTRAL_SCORE = 3
ScoreArray = NDArray[np.int8]


@dataclass(frozen=True, slots=True)
class Breakpoints:
    """Ascending quintile cuts per dimension; an empty tuple means no population yet."""

    recency: tuple[float, ...] = ()
    frequency: tuple[float, ...] = ()
    monetary: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class RfmValues:
    """One customer's raw RFM values; `recency_days` is None if they never transacted."""

    recency_days: float | None
    frequency: float
    monetary: float


@dataclass(frozen=True, slots=True)
class RfmScores:
    """Quintile scores 1–5 of one customer."""

    recency: int
    frequency: int
    monetary: int

    @property
    def code(self) -> str:
        """The three-digit RFM code, like ``545``."""
        return f"{self.recency}{self.frequency}{self.monetary}"


@dataclass(frozen=True, slots=True, eq=False)
class RfmBatch:
    """Scores of many customers, one array element per customer."""

    recency: ScoreArray
    frequency: ScoreArray
    monetary: ScoreArray

    @property
    def code(self) -> NDArray[np.int16]:
        """RFM codes as integers (545 for ``545``)."""
        r, f, m = (s.astype(np.int16) for s in (self.recency, self.frequency, self.monetary))
        return r * 100 + f * 10 + m


def recency_days(last_transaction_at: dt.datetime | None, as_of: dt.datetime) -> int | None:
    """Whole calendar days from the last transaction to `as_of` (None if there was none)."""
    if last_transaction_at is None:
        return None
    return max((as_of.date() - last_transaction_at.date()).days, 0)


def compute_breakpoints(
    recency: FloatArray, frequency: FloatArray, monetary: FloatArray
) -> Breakpoints:
    """Quintile cuts of a population; `recency` holds NaN for customers who never transacted."""
    recency = np.asarray(recency, dtype=np.float64)
    frequency = np.nan_to_num(np.asarray(frequency, dtype=np.float64), nan=0.0)
    monetary = np.nan_to_num(np.asarray(monetary, dtype=np.float64), nan=0.0)
    active = frequency > 0
    return Breakpoints(
        recency=_cuts(recency[np.isfinite(recency)]),
        frequency=_cuts(frequency[active]),
        monetary=_cuts(monetary[active]),
    )


def _cuts(values: FloatArray) -> tuple[float, ...]:
    if values.size == 0:
        return ()
    return tuple(float(q) for q in np.quantile(values, QUINTILE_PROBABILITIES))


def score_customer(values: RfmValues, breakpoints: Breakpoints) -> RfmScores:
    """Score one customer against breakpoints from the last batch."""
    never = values.recency_days is None or math.isnan(values.recency_days)
    frequency, monetary = (0.0 if math.isnan(v) else v for v in (values.frequency, values.monetary))
    idle = frequency <= 0
    recency = 1 if never else _score_lower_better(values.recency_days, breakpoints.recency)
    return RfmScores(
        recency=recency,
        frequency=1 if idle else _score_higher_better(frequency, breakpoints.frequency),
        monetary=1 if idle else _score_higher_better(monetary, breakpoints.monetary),
    )


def _score_higher_better(value: float, cuts: Sequence[float]) -> int:
    if not cuts:
        return NEUTRAL_SCORE
    return 1 + (bisect_left(cuts, value) + bisect_right(cuts, value)) // 2


def _score_lower_better(value: float | None, cuts: Sequence[float]) -> int:
    if not cuts or value is None:
        return NEUTRAL_SCORE
    return 5 - (bisect_left(cuts, value) + bisect_right(cuts, value) + 1) // 2


def score_batch(
    recency: FloatArray, frequency: FloatArray, monetary: FloatArray, breakpoints: Breakpoints
) -> RfmBatch:
    """Score many customers; the same answers as `score_customer` element by element."""
    recency = np.asarray(recency, dtype=np.float64)
    frequency = np.nan_to_num(np.asarray(frequency, dtype=np.float64), nan=0.0)
    monetary = np.nan_to_num(np.asarray(monetary, dtype=np.float64), nan=0.0)
    idle = frequency <= 0
    r = np.where(np.isnan(recency), 1, _batch_lower_better(recency, breakpoints.recency))
    f = np.where(idle, 1, _batch_higher_better(frequency, breakpoints.frequency))
    m = np.where(idle, 1, _batch_higher_better(monetary, breakpoints.monetary))
    return RfmBatch(
        recency=r.astype(np.int8), frequency=f.astype(np.int8), monetary=m.astype(np.int8)
    )


def _batch_higher_better(values: FloatArray, cuts: tuple[float, ...]) -> NDArray[np.int64]:
    if not cuts:
        return np.full(np.shape(values), NEUTRAL_SCORE, dtype=np.int64)
    edges = np.asarray(cuts)
    left = np.searchsorted(edges, values, side="left")
    right = np.searchsorted(edges, values, side="right")
    return 1 + (left + right) // 2


def _batch_lower_better(values: FloatArray, cuts: tuple[float, ...]) -> NDArray[np.int64]:
    if not cuts:
        return np.full(np.shape(values), NEUTRAL_SCORE, dtype=np.int64)
    edges = np.asarray(cuts)
    left = np.searchsorted(edges, values, side="left")
    right = np.searchsorted(edges, values, side="right")
    return 5 - (left + right + 1) // 2
