"""ABC classes on cumulative contribution, and the Pareto (whale) curve report.

ABC: customers sorted by contribution, descending. A customer is in A when the positive
contribution of everyone ranked above them is below ``a_share`` of the total positive
contribution (so the customer who crosses the line is in A: they make part of the first 80 %),
in B when it is below ``b_share``, else in C. Customers with zero or negative contribution are
always C. Customers with equal contribution share a class: a tie group that straddles a line
goes wholly to the higher class, so the classes never depend on an arbitrary sort order.

The batch returns `AbcCutoffs` (the smallest contribution in A and in B), with which
`abc_class` classifies one customer between batches with the same answers.

The report measures shares of the bank's total *net* contribution (what the documents call
profit): the top 10 % / 20 % shares against the China (10 % → 60 %) and worldwide
(20 % → 80 %) benchmarks, and the share the bottom 30 % consumes against Sherden's 50 %.
Fractional customer counts are interpolated linearly along the curve, so small populations
give well-defined answers. Shares are None when the net total is not positive.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from services.segmentation.domain.errors import InvalidParametersError
from services.segmentation.domain.vocabulary import (
    ABC_ORDER,
    AbcClass,
    CodeArray,
    FloatArray,
)

_C_CODE = ABC_ORDER.index(AbcClass.C)


@dataclass(frozen=True, slots=True)
class AbcParams:
    """Cumulative shares of total positive contribution closing classes A and B."""

    a_share: float = 0.80
    b_share: float = 0.95

    def __post_init__(self) -> None:
        if not 0.0 < self.a_share <= self.b_share <= 1.0:
            raise InvalidParametersError("ABC shares must satisfy 0 < a_share <= b_share <= 1")


@dataclass(frozen=True, slots=True)
class AbcCutoffs:
    """Smallest contribution in class A and in class B (None when the class is empty)."""

    a_min: float | None = None
    b_min: float | None = None


@dataclass(frozen=True, slots=True, eq=False)
class AbcBatch:
    """Class codes (index into `ABC_ORDER`) per customer, and the cutoffs they imply."""

    codes: CodeArray
    cutoffs: AbcCutoffs


def abc_class(contribution: float, cutoffs: AbcCutoffs) -> AbcClass:
    """Class of one customer against the cutoffs of the last batch."""
    if contribution > 0 and cutoffs.a_min is not None and contribution >= cutoffs.a_min:
        return AbcClass.A
    if contribution > 0 and cutoffs.b_min is not None and contribution >= cutoffs.b_min:
        return AbcClass.B
    return AbcClass.C


def classify_abc(contribution: FloatArray, params: AbcParams) -> AbcBatch:
    """ABC classes of a whole population (vectorized; NaN counts as zero contribution)."""
    values = np.nan_to_num(np.asarray(contribution, dtype=np.float64), nan=0.0)
    codes = np.full(values.shape, _C_CODE, dtype=np.int8)
    order = np.argsort(-values)  # ties are grouped below, so an unstable sort is fine
    ranked = values[order]
    positive = np.clip(ranked, 0.0, None)
    total = float(positive.sum())
    if total <= 0.0:
        return AbcBatch(codes=codes, cutoffs=AbcCutoffs())
    before = _cumulative_before_tie_group(ranked, positive)
    ranked_codes = np.where(before < params.a_share * total, 0, 1)
    ranked_codes = np.where(before < params.b_share * total, ranked_codes, _C_CODE)
    ranked_codes = np.where(ranked > 0, ranked_codes, _C_CODE).astype(np.int8)
    codes[order] = ranked_codes
    return AbcBatch(codes=codes, cutoffs=_cutoffs(ranked, ranked_codes))


def _cumulative_before_tie_group(ranked: FloatArray, positive: FloatArray) -> FloatArray:
    """Positive contribution ranked strictly above each customer's tie group."""
    before = np.cumsum(positive) - positive
    starts = np.ones(ranked.shape, dtype=bool)
    starts[1:] = ranked[1:] != ranked[:-1]
    first = np.maximum.accumulate(np.where(starts, np.arange(ranked.size), 0))
    return before[first]


def _cutoffs(ranked: FloatArray, ranked_codes: CodeArray) -> AbcCutoffs:
    mins: list[float | None] = []
    for code in (0, 1):
        members = ranked[ranked_codes == code]
        mins.append(float(members[-1]) if members.size else None)
    return AbcCutoffs(a_min=mins[0], b_min=mins[1])


@dataclass(frozen=True, slots=True)
class ParetoPoint:
    """The top `customer_share` of customers make `contribution_share` of net contribution."""

    customer_share: float
    contribution_share: float


@dataclass(frozen=True, slots=True)
class Benchmark:
    """Where the bank stands against one documented concentration figure."""

    name: str
    customer_share: float  # top (or, for consumption, bottom) share of customers
    benchmark_share: float  # the documents' share of profit for that group
    actual_share: float | None  # this bank's figure (None when net contribution <= 0)


@dataclass(frozen=True, slots=True)
class ParetoReport:
    """Pareto curve, concentration figures and per-class totals of one population."""

    customers: int
    total_contribution: float
    total_positive_contribution: float
    points: tuple[ParetoPoint, ...]
    top_10_share: float | None
    top_20_share: float | None
    bottom_30_consumed_share: float | None  # positive when the bottom 30 % loses money
    benchmarks: tuple[Benchmark, ...]
    class_counts: Mapping[AbcClass, int]
    class_contribution: Mapping[AbcClass, float]


def pareto_report(
    contribution: FloatArray, *, abc_codes: CodeArray | None = None, n_points: int = 21
) -> ParetoReport:
    """Pareto curve (`n_points` evenly spaced customer shares) and benchmark comparison."""
    values = np.nan_to_num(np.asarray(contribution, dtype=np.float64), nan=0.0)
    curve = _Curve(values)
    top10, top20, top70 = curve.share(0.10), curve.share(0.20), curve.share(0.70)
    consumed = None if top70 is None else top70 - 1.0
    counts, sums = _class_totals(values, abc_codes)
    return ParetoReport(
        customers=int(values.size),
        total_contribution=curve.total,
        total_positive_contribution=float(np.clip(values, 0.0, None).sum()),
        points=curve.points(max(n_points, 2)),
        top_10_share=top10,
        top_20_share=top20,
        bottom_30_consumed_share=consumed,
        benchmarks=(
            Benchmark("china_top_10_percent", 0.10, 0.60, top10),
            Benchmark("worldwide_top_20_percent", 0.20, 0.80, top20),
            Benchmark("sherden_bottom_30_percent_consume", 0.30, 0.50, consumed),
        ),
        class_counts=counts,
        class_contribution=sums,
    )


class _Curve:
    """Cumulative net contribution of the top k customers, k interpolated between integers."""

    def __init__(self, values: FloatArray) -> None:
        self.size = values.size
        self.cumulative = np.concatenate(([0.0], np.cumsum(-np.sort(-values))))
        self.total = float(self.cumulative[-1])

    def share(self, customer_share: float) -> float | None:
        """Share of net contribution made by the top `customer_share` of customers."""
        if self.total <= 0.0:
            return None
        ranks = np.arange(self.cumulative.size)
        return float(np.interp(customer_share * self.size, ranks, self.cumulative)) / self.total

    def points(self, n_points: int) -> tuple[ParetoPoint, ...]:
        """The curve at `n_points` evenly spaced customer shares from 0 to 1."""
        if self.total <= 0.0:
            return ()
        grid = np.linspace(0.0, 1.0, n_points)
        ranks = np.arange(self.cumulative.size)
        shares = np.interp(grid * self.size, ranks, self.cumulative) / self.total
        return tuple(ParetoPoint(float(x), float(y)) for x, y in zip(grid, shares, strict=True))


def _class_totals(
    values: FloatArray, abc_codes: CodeArray | None
) -> tuple[dict[AbcClass, int], dict[AbcClass, float]]:
    if abc_codes is None:
        return {}, {}
    codes = np.asarray(abc_codes)
    counts = {cls: int((codes == i).sum()) for i, cls in enumerate(ABC_ORDER)}
    sums = {cls: float(values[codes == i].sum()) for i, cls in enumerate(ABC_ORDER)}
    return counts, sums
