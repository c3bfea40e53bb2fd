"""Value categories (DOMAIN.md §4.1): most valuable, most growable, below zero, migrator, gold.

Contribution here is the trailing-365-day contribution, the one ABC classes are computed on.

* ``most_valuable`` (最有价值客户): ABC class in ``most_valuable_classes`` (default A, the
  customers making the first 80 % of positive contribution).
* ``gold`` (金牌客户): the top ``gold_top_share`` of customers by contribution (default 10 %, the
  China benchmark), i.e. at least the contribution of the ⌈share × n⌉-th best customer (ties at
  the line are all gold) and positive.
* ``most_growable`` (最有增长潜力客户): high CLV against low current value — CLV known, positive,
  in the top ``growable_clv_top_share`` of the population's CLV (default 20 %), and
  contribution at most the population's ``growable_contribution_max_quantile`` (default the
  median). Ranks rather than a CLV − contribution difference, so the rule holds whatever unit
  and horizon the CLV model reports in.
* ``below_zero`` (零点以下客户): contribution < 0 — never for a customer in the prospect or
  development stage, whose contribution is small or none by definition; nor, by default, for a
  customer whose stage is not known yet (they may be new).
* ``migrator`` (迁移客户): tier or ABC class differs from the previous period's, or the
  customer's assets sit across a tier threshold from the tier hysteresis holds them in
  (their value is moving across a boundary before their tier follows).

Population figures (`CategoryCutoffs`) come from the batch; `categorize` applies them to one
customer between batches and `categorize_batch` to arrays, with the same answers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import polars as pl

from services.segmentation.domain.errors import InvalidParametersError
from services.segmentation.domain.tiers import TierParams, plain_tier
from services.segmentation.domain.vocabulary import (
    ABC_ORDER,
    NO_CODE,
    STAGE_ORDER,
    AbcClass,
    BoolArray,
    CodeArray,
    FloatArray,
    LifecycleStage,
    Tier,
    ValueCategory,
)

NEVER_BELOW_ZERO: frozenset[LifecycleStage] = frozenset(
    {LifecycleStage.PROSPECT, LifecycleStage.DEVELOPMENT}
)
_NEVER_BELOW_ZERO_CODES = [STAGE_ORDER.index(stage) for stage in NEVER_BELOW_ZERO]


@dataclass(frozen=True, slots=True)
class CategoryParams:
    """Configurable shares and classes behind the value categories."""

    gold_top_share: float = 0.10
    most_valuable_classes: frozenset[AbcClass] = frozenset({AbcClass.A})
    growable_clv_top_share: float = 0.20
    growable_contribution_max_quantile: float = 0.50
    below_zero_requires_stage: bool = True

    def __post_init__(self) -> None:
        shares = (
            self.gold_top_share,
            self.growable_clv_top_share,
            self.growable_contribution_max_quantile,
        )
        if not all(0.0 <= share <= 1.0 for share in shares):
            raise InvalidParametersError("category shares and quantiles must be in [0, 1]")


@dataclass(frozen=True, slots=True)
class CategoryCutoffs:
    """Population figures from the last batch (None: nobody qualifies)."""

    gold_min: float | None = None
    growable_clv_min: float | None = None
    growable_contribution_max: float | None = None


@dataclass(frozen=True, slots=True)
class CustomerValue:
    """What categorizing one customer needs; `previous_*` are last period's values."""

    contribution: float
    abc_class: AbcClass
    tier: Tier
    financial_assets: float
    clv: float | None = None
    stage: LifecycleStage | None = None
    previous_tier: Tier | None = None
    previous_abc_class: AbcClass | None = None


@dataclass(frozen=True, slots=True, eq=False)
class CategoryFlags:
    """One boolean array per category, one element per customer."""

    most_valuable: BoolArray
    most_growable: BoolArray
    below_zero: BoolArray
    migrator: BoolArray
    gold: BoolArray

    def of(self, index: int) -> frozenset[ValueCategory]:
        """Categories of the customer at `index`."""
        return frozenset(c for c in ValueCategory if bool(getattr(self, c.value)[index]))

    def counts(self) -> dict[ValueCategory, int]:
        """Number of customers in each category (the category-count report)."""
        return {c: int(getattr(self, c.value).sum()) for c in ValueCategory}


def category_cutoffs(
    contribution: FloatArray, clv: FloatArray, params: CategoryParams
) -> CategoryCutoffs:
    """Population figures for the categories; NaN CLV means not predicted."""
    contribution = np.nan_to_num(np.asarray(contribution, dtype=np.float64), nan=0.0)
    clv = np.asarray(clv, dtype=np.float64)
    known_clv = clv[np.isfinite(clv)]
    return CategoryCutoffs(
        gold_min=_top_share_min(contribution, params.gold_top_share),
        growable_clv_min=_quantile(known_clv, 1.0 - params.growable_clv_top_share),
        growable_contribution_max=_quantile(
            contribution, params.growable_contribution_max_quantile
        ),
    )


def _top_share_min(values: FloatArray, share: float) -> float | None:
    """Value of the ⌈share × n⌉-th largest element."""
    k = math.ceil(share * values.size - 1e-9)  # 0.1 × 30 must give 3, not 4
    if k <= 0:
        return None
    return float(np.partition(values, values.size - k)[values.size - k])


def _quantile(values: FloatArray, q: float) -> float | None:
    return float(np.quantile(values, q)) if values.size else None


def categorize(
    value: CustomerValue,
    cutoffs: CategoryCutoffs,
    *,
    params: CategoryParams,
    tier_params: TierParams,
) -> frozenset[ValueCategory]:
    """Value categories of one customer (a NaN contribution counts as 0, as in the batch)."""
    if math.isnan(value.contribution):
        value = replace(value, contribution=0.0)
    found = set[ValueCategory]()
    if value.abc_class in params.most_valuable_classes:
        found.add(ValueCategory.MOST_VALUABLE)
    if _is_gold(value.contribution, cutoffs):
        found.add(ValueCategory.GOLD)
    if _is_growable(value.clv, value.contribution, cutoffs):
        found.add(ValueCategory.MOST_GROWABLE)
    if _is_below_zero(value.contribution, value.stage, params):
        found.add(ValueCategory.BELOW_ZERO)
    if _is_migrator(value, tier_params):
        found.add(ValueCategory.MIGRATOR)
    return frozenset(found)


def _is_gold(contribution: float, cutoffs: CategoryCutoffs) -> bool:
    return cutoffs.gold_min is not None and contribution > 0 and contribution >= cutoffs.gold_min


def _is_growable(clv: float | None, contribution: float, cutoffs: CategoryCutoffs) -> bool:
    clv_min, contribution_max = cutoffs.growable_clv_min, cutoffs.growable_contribution_max
    if clv is None or math.isnan(clv) or clv_min is None or contribution_max is None:
        return False
    return clv > 0 and clv >= clv_min and contribution <= contribution_max


def _is_below_zero(
    contribution: float, stage: LifecycleStage | None, params: CategoryParams
) -> bool:
    if stage is None and params.below_zero_requires_stage:
        return False
    return contribution < 0 and stage not in NEVER_BELOW_ZERO


def _is_migrator(value: CustomerValue, tier_params: TierParams) -> bool:
    tier_moved = value.previous_tier is not None and value.previous_tier != value.tier
    class_moved = (
        value.previous_abc_class is not None and value.previous_abc_class != value.abc_class
    )
    crossing = plain_tier(value.financial_assets, tier_params) != value.tier
    return tier_moved or class_moved or crossing


def categorize_batch(
    *,
    contribution: FloatArray,
    abc_codes: CodeArray,
    tier_codes: CodeArray,
    financial_assets: FloatArray,
    clv: FloatArray,
    stage_codes: CodeArray,
    previous_tier_codes: CodeArray,
    previous_abc_codes: CodeArray,
    cutoffs: CategoryCutoffs,
    params: CategoryParams,
    tier_params: TierParams,
) -> CategoryFlags:
    """`categorize` over arrays: codes as in `vocabulary`, NaN CLV for none, `NO_CODE` unknown."""
    contribution = np.nan_to_num(np.asarray(contribution, dtype=np.float64), nan=0.0)
    valuable_codes = [ABC_ORDER.index(c) for c in params.most_valuable_classes]
    return CategoryFlags(
        most_valuable=np.isin(abc_codes, valuable_codes),
        most_growable=_growable_batch(np.asarray(clv, dtype=np.float64), contribution, cutoffs),
        below_zero=_below_zero_batch(contribution, np.asarray(stage_codes), params),
        migrator=_migrator_batch(
            tier_codes,
            abc_codes,
            financial_assets,
            previous_tier_codes,
            previous_abc_codes,
            tier_params,
        ),
        gold=_gold_batch(contribution, cutoffs),
    )


def _gold_batch(contribution: FloatArray, cutoffs: CategoryCutoffs) -> BoolArray:
    if cutoffs.gold_min is None:
        return np.zeros(contribution.shape, dtype=bool)
    return (contribution > 0) & (contribution >= cutoffs.gold_min)


def _growable_batch(
    clv: FloatArray, contribution: FloatArray, cutoffs: CategoryCutoffs
) -> BoolArray:
    clv_min, contribution_max = cutoffs.growable_clv_min, cutoffs.growable_contribution_max
    if clv_min is None or contribution_max is None:
        return np.zeros(contribution.shape, dtype=bool)
    with np.errstate(invalid="ignore"):  # NaN CLV compares False, which is the answer
        growable: BoolArray = (clv > 0) & (clv >= clv_min) & (contribution <= contribution_max)
    return growable


def _below_zero_batch(
    contribution: FloatArray, stage_codes: CodeArray, params: CategoryParams
) -> BoolArray:
    allowed = ~np.isin(stage_codes, _NEVER_BELOW_ZERO_CODES)
    if params.below_zero_requires_stage:
        allowed &= stage_codes != NO_CODE
    return (contribution < 0) & allowed


def _migrator_batch(
    tier_codes: CodeArray,
    abc_codes: CodeArray,
    financial_assets: FloatArray,
    previous_tier_codes: CodeArray,
    previous_abc_codes: CodeArray,
    tier_params: TierParams,
) -> BoolArray:
    assets = np.nan_to_num(np.asarray(financial_assets, dtype=np.float64), nan=0.0)
    plain = np.searchsorted(np.asarray(tier_params.thresholds), assets, side="right")
    tier_moved = (previous_tier_codes != NO_CODE) & (previous_tier_codes != tier_codes)
    class_moved = (previous_abc_codes != NO_CODE) & (previous_abc_codes != abc_codes)
    moved: BoolArray = tier_moved | class_moved | (plain != tier_codes)
    return moved


def categories_series(flags: CategoryFlags, *, name: str = "categories") -> pl.Series:
    """The categories as a polars list-of-strings column, the form rule segments read."""
    # Gathering from the 2**5 possible lists beats building a list per row by ~100x.
    mask = np.zeros(flags.gold.shape, dtype=np.int64)
    for bit, category in enumerate(ValueCategory):
        mask |= getattr(flags, category.value).astype(np.int64) << bit
    combos = [
        [c.value for bit, c in enumerate(ValueCategory) if combo >> bit & 1]
        for combo in range(2 ** len(ValueCategory))
    ]
    lists = pl.Series(name, combos, dtype=pl.List(pl.String))
    return lists.gather(pl.Series(mask)).alias(name)
