"""The whole valuation of a set of customers, vectorized: one code path for two uses.

`valuate` takes one row per customer (their profile, window sums valid *today*, and the
classification published last) and returns every figure: contribution per window, RFM, ABC
class, tier, CLV predictions, value categories, and the columns rule segments read. Without
`Figures` it is the batch recompute: the population figures (RFM breakpoints, ABC and category
cutoffs) come from the rows given, which must then be every customer. With the `Figures` of
the last batch it values a few customers between batches, with the same answers a batch would
give them against those figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from services.segmentation.domain.activity import ALL, WINDOW_DAYS, WINDOWS, window_column
from services.segmentation.domain.categories import (
    CategoryCutoffs,
    CategoryParams,
    categories_series,
    categorize_batch,
    category_cutoffs,
)
from services.segmentation.domain.clv import (
    BgNbdParams,
    GammaGammaParams,
    RfmSummary,
    predict,
)
from services.segmentation.domain.clv_summary import DAYS_PER_UNIT
from services.segmentation.domain.contribution import (
    ContributionParams,
    compute_contribution_batch,
)
from services.segmentation.domain.pareto import AbcCutoffs, AbcParams, classify_abc
from services.segmentation.domain.rfm import Breakpoints, compute_breakpoints, score_batch
from services.segmentation.domain.tiers import TierParams, next_tier_batch
from services.segmentation.domain.vocabulary import (
    ABC_ORDER,
    NO_CODE,
    STAGE_ORDER,
    TIER_ORDER,
    FloatArray,
)

CUSTOMER_TYPES = {"person": "individual", "organization": "corporate"}


@dataclass(frozen=True, slots=True)
class ValuationParams:
    """Every parameter of the valuation (from the service's settings)."""

    contribution: ContributionParams = field(default_factory=ContributionParams)
    tiers: TierParams = field(default_factory=TierParams)
    abc: AbcParams = field(default_factory=AbcParams)
    categories: CategoryParams = field(default_factory=CategoryParams)
    abc_window: str = "365d"
    rfm_window: str = "365d"
    clv_horizon_months: int = 12
    clv_monthly_discount_rate: float = 0.01


@dataclass(frozen=True, slots=True)
class Figures:
    """Population figures of the last batch, applied to customers valued between batches."""

    breakpoints: Breakpoints = field(default_factory=Breakpoints)
    abc: AbcCutoffs = field(default_factory=AbcCutoffs)
    categories: CategoryCutoffs = field(default_factory=CategoryCutoffs)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        b = self.breakpoints
        return {
            "breakpoints": {"recency": b.recency, "frequency": b.frequency, "monetary": b.monetary},
            "abc": {"a_min": self.abc.a_min, "b_min": self.abc.b_min},
            "categories": {
                "gold_min": self.categories.gold_min,
                "growable_clv_min": self.categories.growable_clv_min,
                "growable_contribution_max": self.categories.growable_contribution_max,
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Figures:
        """Rebuild figures stored with `to_dict`."""
        cuts = data["breakpoints"]
        return cls(
            breakpoints=Breakpoints(**{k: tuple(v) for k, v in cuts.items()}),
            abc=AbcCutoffs(**data["abc"]),
            categories=CategoryCutoffs(**data["categories"]),
        )


@dataclass(frozen=True, slots=True)
class ClvModel:
    """A fitted CLV model version: purchase counts and spend."""

    version: str
    bgnbd: BgNbdParams
    spend: GammaGammaParams


@dataclass(frozen=True, slots=True)
class Valuation:
    """The valued customers (one row each) and the figures they were valued against."""

    frame: pl.DataFrame
    figures: Figures


def valuate(
    inputs: pl.DataFrame,
    params: ValuationParams,
    *,
    today: int,
    model: ClvModel | None = None,
    figures: Figures | None = None,
) -> Valuation:
    """Value every row of `inputs` (see the module docstring for batch versus incremental)."""
    n = inputs.height
    contributions = {w: _contribution(inputs, w, today, params.contribution) for w in WINDOWS}
    recency = _float(inputs, "last_day", default=np.nan)
    recency = today - recency
    frequency = _float(inputs, window_column("txn_count", params.rfm_window))
    monetary = _float(inputs, window_column("txn_amount", params.rfm_window))
    breakpoints = (
        figures.breakpoints
        if figures is not None
        else compute_breakpoints(recency, frequency, monetary)
    )
    rfm = score_batch(recency, frequency, monetary, breakpoints)
    basis = contributions[params.abc_window]
    abc_codes, abc_cutoffs = _abc(basis, params.abc, figures)
    assets = _float(inputs, "financial_assets", default=np.nan)
    tiers = next_tier_batch(_codes(inputs["tier"], TIER_ORDER), assets, params.tiers)
    clv = _clv(inputs, today, model, params) if model is not None else _no_clv(n)
    cutoffs = (
        figures.categories
        if figures is not None
        else category_cutoffs(basis, clv["clv"], params.categories)
    )
    flags = categorize_batch(
        contribution=basis,
        abc_codes=abc_codes,
        tier_codes=tiers.codes,
        financial_assets=assets,
        clv=clv["clv"],
        stage_codes=_codes(inputs["stage"], STAGE_ORDER),
        previous_tier_codes=_codes(inputs["baseline_tier"], TIER_ORDER),
        previous_abc_codes=_codes(inputs["baseline_abc_class"], ABC_ORDER),
        cutoffs=cutoffs,
        params=params.categories,
        tier_params=params.tiers,
    )
    columns: dict[str, Any] = {
        **{window_column("contribution", w): c for w, c in contributions.items()},
        "recency_days": recency,
        "rfm_r": rfm.recency,
        "rfm_f": rfm.frequency,
        "rfm_m": rfm.monetary,
        "rfm_code": pl.Series(rfm.code).cast(pl.String),
        "abc_class": _labels(abc_codes, ABC_ORDER),
        "tier": _labels(tiers.codes, TIER_ORDER),
        "pb_borderline": tiers.borderline,
        "pb_stable": tiers.stable,
        "categories": categories_series(flags),
        **clv,
    }
    frame = _record_columns(inputs, today).with_columns(
        pl.Series(name, values) for name, values in columns.items()
    )
    return Valuation(frame, Figures(breakpoints, abc_cutoffs, cutoffs))


def _float(frame: pl.DataFrame, column: str, default: float = 0.0) -> FloatArray:
    series = frame[column].cast(pl.Float64).fill_null(default)
    return series.to_numpy().astype(np.float64, copy=False)


def _codes(labels: pl.Series, order: tuple[Any, ...]) -> Any:
    mapping = {str(member): code for code, member in enumerate(order)}
    coded = labels.cast(pl.String).replace_strict(mapping, default=NO_CODE, return_dtype=pl.Int8)
    return coded.fill_null(NO_CODE).to_numpy()


def _labels(codes: Any, order: tuple[Any, ...]) -> pl.Series:
    mapping = {code: str(member) for code, member in enumerate(order)}
    return pl.Series(codes).replace_strict(mapping, default=None, return_dtype=pl.String)


def _window_days(inputs: pl.DataFrame, window: str, today: int) -> FloatArray:
    if window != ALL:
        return np.full(inputs.height, float(WINDOW_DAYS[window]))
    first = _float(inputs, "first_activity_day", default=float(today))
    return np.maximum(today - first + 1.0, 1.0)


def _average_balance(inputs: pl.DataFrame, kind: str, window: str, today: int) -> FloatArray:
    """Vector form of `activity.average_balance` for ``deposit`` or ``loan`` balances."""
    total = _float(inputs, window_column(f"{kind}_delta", ALL))
    inside = _float(inputs, window_column(f"{kind}_delta", window))
    moment = _float(inputs, window_column(f"{kind}_moment", window))
    days = _window_days(inputs, window, today)
    return (total - inside) + ((today + 1.0) * inside - moment) / days


def _contribution(
    inputs: pl.DataFrame, window: str, today: int, params: ContributionParams
) -> FloatArray:
    batch = compute_contribution_batch(
        days=_window_days(inputs, window, today),
        fee_income=_float(inputs, window_column("fee_income", window)),
        avg_deposit_balance=_average_balance(inputs, "deposit", window, today),
        avg_loan_balance=_average_balance(inputs, "loan", window, today),
        txn_counts={},
        carried_counts={},
        carried_cost=_float(inputs, window_column("cost_to_serve", window)),
        params=params,
    )
    return batch.total


def _abc(basis: FloatArray, params: AbcParams, figures: Figures | None) -> tuple[Any, AbcCutoffs]:
    if figures is None:
        batch = classify_abc(basis, params)
        return batch.codes, batch.cutoffs
    cut = figures.abc
    values = np.nan_to_num(basis, nan=0.0)
    a_min = np.inf if cut.a_min is None else cut.a_min
    b_min = np.inf if cut.b_min is None else cut.b_min
    codes = np.where((values > 0) & (values >= a_min), 0, np.where(values > 0, 1, 2))
    codes = np.where((codes == 1) & (values < b_min), 2, codes)
    return codes.astype(np.int8), cut


def _no_clv(n: int) -> dict[str, FloatArray]:
    return {name: np.full(n, np.nan) for name in ("clv", "p_alive", "expected_transactions")}


def _clv(
    inputs: pl.DataFrame, today: int, model: ClvModel, params: ValuationParams
) -> dict[str, FloatArray]:
    """Predictions of the current model for customers with a transaction (NaN for others)."""
    out = _no_clv(inputs.height)
    buyers = np.flatnonzero(_float(inputs, "active_days") > 0)
    if buyers.size == 0:
        return out
    summary = _summary(inputs, buyers, today, model.bgnbd.time_unit)
    predicted = predict(
        model.bgnbd,
        model.spend,
        summary,
        months=params.clv_horizon_months,
        monthly_discount_rate=params.clv_monthly_discount_rate,
    )
    out["p_alive"][buyers] = predicted.p_alive
    out["expected_transactions"][buyers] = predicted.expected_transactions
    out["clv"][buyers] = predicted.clv
    return out


def _summary(inputs: pl.DataFrame, rows: Any, today: int, unit: Any) -> RfmSummary:
    """The BG/NBD summary of customers at `rows`, observed until today, from their profile."""
    first = _float(inputs, "first_day")[rows]
    last = _float(inputs, "last_day")[rows]
    frequency = (_float(inputs, "active_days")[rows] - 1).astype(np.int64)
    spend = _float(inputs, window_column("txn_amount", ALL))[rows]
    repeat_spend = spend - _float(inputs, "first_day_amount")[rows]
    monetary = np.zeros(rows.size)
    np.divide(repeat_spend, frequency, out=monetary, where=frequency > 0)
    per_unit = DAYS_PER_UNIT[unit]
    recency = np.where(frequency > 0, (last - first) / per_unit, 0.0)
    age = np.maximum((today - first) / per_unit, recency)  # a future-dated day ages nobody
    return RfmSummary(
        customer_id=inputs["customer_id"].to_numpy()[rows],
        frequency=frequency,
        recency=recency,
        T=age,
        monetary_value=np.maximum(monetary, 0.0),
        time_unit=unit,
    )


def _split(column: str) -> pl.Expr:
    text = pl.col(column).fill_null("")
    return (
        pl.when(text == "")
        .then(pl.lit([], dtype=pl.List(pl.String)))
        .otherwise(text.str.split(","))
    )


def _record_columns(inputs: pl.DataFrame, today: int) -> pl.DataFrame:
    """The profile attributes and window sums rule segments read, by catalogue name."""
    windows = [
        window_column(f, w) for w in WINDOWS for f in ("txn_count", "txn_amount", "fee_income")
    ]
    return inputs.select(
        pl.col("customer_id"),
        pl.col("kind").replace_strict(CUSTOMER_TYPES, default=None).alias("customer_type"),
        pl.col("home_branch").alias("home_branch_id"),
        (pl.lit(today) - pl.col("tenure_start_day")).cast(pl.Float64).alias("tenure_days"),
        pl.col("stage").alias("lifecycle_stage"),
        *(pl.col(c).cast(pl.Float64) for c in windows),
        *(
            pl.col(c).cast(pl.Float64)
            for c in ("financial_assets", "deposits", "investments", "loans_outstanding")
        ),
        _split("products").alias("products"),
        _split("product_kinds").alias("product_kinds"),
    )
