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

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from services.segmentation.domain.activity import WINDOWS, window_column
from services.segmentation.domain.categories import (
    CategoryCutoffs,
    CategoryFlags,
    CategoryParams,
    categories_series,
    categorize_batch,
    category_cutoffs,
)
from services.segmentation.domain.clv import BgNbdParams, GammaGammaParams
from services.segmentation.domain.columns import (
    clv_predictions,
    codes,
    contribution,
    floats,
    labels,
    no_clv,
    record_columns,
)
from services.segmentation.domain.contribution import ContributionParams
from services.segmentation.domain.needs import has_window
from services.segmentation.domain.pareto import AbcCutoffs, AbcParams, classify_abc
from services.segmentation.domain.rfm import (
    Breakpoints,
    RfmBatch,
    compute_breakpoints,
    score_batch,
)
from services.segmentation.domain.tiers import TierBatch, TierParams, next_tier_batch
from services.segmentation.domain.vocabulary import (
    ABC_ORDER,
    STAGE_ORDER,
    TIER_ORDER,
    FloatArray,
)


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
    if inputs.height < _CLV_BESIDE_FROM:
        predictions: Future[dict[str, FloatArray]] = Future()
        predictions.set_result(_clv(inputs, today, model, params))
        return _valuate(inputs, params, today=today, predictions=predictions, figures=figures)
    # CLV is numpy and scipy work that releases the GIL: on another core it hides behind the rest
    with ThreadPoolExecutor(1) as pool:
        predictions = pool.submit(_clv, inputs, today, model, params)
        return _valuate(inputs, params, today=today, predictions=predictions, figures=figures)


_CLV_BESIDE_FROM = 50_000  # customers; for fewer a thread costs more than it saves


def _valuate(
    inputs: pl.DataFrame,
    params: ValuationParams,
    *,
    today: int,
    predictions: Future[dict[str, FloatArray]],
    figures: Figures | None,
) -> Valuation:
    contributions = {
        w: contribution(inputs, w, today, params.contribution)
        for w in WINDOWS
        if has_window(inputs.columns, w)
    }
    basis = contributions[params.abc_window]
    recency = today - floats(inputs, "last_day", default=np.nan)
    rfm, breakpoints = _rfm(inputs, recency, params.rfm_window, figures)
    abc_codes, abc_cutoffs = _abc(basis, params.abc, figures)
    assets = floats(inputs, "financial_assets", default=np.nan)
    tiers = next_tier_batch(codes(inputs["tier"], TIER_ORDER), assets, params.tiers)
    clv = predictions.result()
    cutoffs = (
        figures.categories
        if figures is not None
        else category_cutoffs(basis, clv["clv"], params.categories)
    )
    flags = _categories(inputs, basis, abc_codes, tiers, clv["clv"], cutoffs, params)
    columns: dict[str, Any] = {
        **{window_column("contribution", w): c for w, c in contributions.items()},
        "recency_days": recency,
        "rfm_r": rfm.recency,
        "rfm_f": rfm.frequency,
        "rfm_m": rfm.monetary,
        "rfm_code": pl.Series(rfm.code).cast(pl.String),
        "abc_class": labels(abc_codes, ABC_ORDER),
        "tier": labels(tiers.codes, TIER_ORDER),
        "pb_borderline": tiers.borderline,
        "pb_stable": tiers.stable,
        "categories": categories_series(flags),
        **clv,
    }
    frame = record_columns(inputs, today).with_columns(
        pl.Series(name, values) for name, values in columns.items()
    )
    return Valuation(frame, Figures(breakpoints, abc_cutoffs, cutoffs))


def _rfm(
    inputs: pl.DataFrame, recency: FloatArray, window: str, figures: Figures | None
) -> tuple[RfmBatch, Breakpoints]:
    frequency = floats(inputs, window_column("txn_count", window))
    monetary = floats(inputs, window_column("txn_amount", window))
    if figures is None:
        breakpoints = compute_breakpoints(recency, frequency, monetary)
    else:
        breakpoints = figures.breakpoints
    return score_batch(recency, frequency, monetary, breakpoints), breakpoints


def _abc(basis: FloatArray, params: AbcParams, figures: Figures | None) -> tuple[Any, AbcCutoffs]:
    if figures is None:
        batch = classify_abc(basis, params)
        return batch.codes, batch.cutoffs
    cut = figures.abc
    values = np.nan_to_num(basis, nan=0.0)
    a_min = np.inf if cut.a_min is None else cut.a_min
    b_min = np.inf if cut.b_min is None else cut.b_min
    classes = np.where((values > 0) & (values >= a_min), 0, np.where(values > 0, 1, 2))
    classes = np.where((classes == 1) & (values < b_min), 2, classes)
    return classes.astype(np.int8), cut


def _clv(
    inputs: pl.DataFrame, today: int, model: ClvModel | None, params: ValuationParams
) -> dict[str, FloatArray]:
    if model is None:
        return no_clv(inputs.height)
    return clv_predictions(
        inputs,
        today,
        bgnbd=model.bgnbd,
        spend=model.spend,
        months=params.clv_horizon_months,
        monthly_discount_rate=params.clv_monthly_discount_rate,
    )


def _categories(
    inputs: pl.DataFrame,
    basis: FloatArray,
    abc_codes: Any,
    tiers: TierBatch,
    clv: FloatArray,
    cutoffs: CategoryCutoffs,
    params: ValuationParams,
) -> CategoryFlags:
    return categorize_batch(
        contribution=basis,
        abc_codes=abc_codes,
        tier_codes=tiers.codes,
        financial_assets=floats(inputs, "financial_assets", default=np.nan),
        clv=clv,
        stage_codes=codes(inputs["stage"], STAGE_ORDER),
        previous_tier_codes=codes(inputs["baseline_tier"], TIER_ORDER),
        previous_abc_codes=codes(inputs["baseline_abc_class"], ABC_ORDER),
        cutoffs=cutoffs,
        params=params.categories,
        tier_params=params.tiers,
    )
