"""Names shared by the segmentation domain: tiers, ABC classes, stages, categories, windows.

Batch (vectorized) functions carry tiers and ABC classes as small integer codes in numpy arrays;
a code is the index of the member in `TIER_ORDER` / `ABC_ORDER`, so a higher tier has a higher
code and class A has code 0.
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
CodeArray = NDArray[np.int8]

NO_CODE = -1  # "no previous tier/class known" in a code array


class Tier(StrEnum):
    """Wealth tier on financial assets."""

    MASS = "mass"
    AFFLUENT = "affluent"
    PRIVATE_BANKING = "private_banking"


class AbcClass(StrEnum):
    """Pareto class on cumulative contribution."""

    A = "A"
    B = "B"
    C = "C"


class LifecycleStage(StrEnum):
    """The six relationship stages the lifecycle service publishes (DOMAIN.md §3)."""

    PROSPECT = "prospect"
    DEVELOPMENT = "development"
    GROWTH = "growth"
    MATURITY = "maturity"
    DECLINE = "decline"
    TERMINATED = "terminated"


class ValueCategory(StrEnum):
    """Value categories of DOMAIN.md §4.1 that segmentation computes."""

    MOST_VALUABLE = "most_valuable"
    MOST_GROWABLE = "most_growable"
    BELOW_ZERO = "below_zero"
    MIGRATOR = "migrator"
    GOLD = "gold"


class Window(StrEnum):
    """Aggregation windows of per-customer aggregates (trailing, ending now)."""

    D30 = "30d"
    D90 = "90d"
    D365 = "365d"
    ALL = "all"


TIER_ORDER: tuple[Tier, ...] = (Tier.MASS, Tier.AFFLUENT, Tier.PRIVATE_BANKING)
ABC_ORDER: tuple[AbcClass, ...] = (AbcClass.A, AbcClass.B, AbcClass.C)
STAGE_ORDER: tuple[LifecycleStage, ...] = tuple(LifecycleStage)


def tier_code(tier: Tier | None) -> int:
    """Code of a tier in batch arrays (`NO_CODE` for None)."""
    return NO_CODE if tier is None else TIER_ORDER.index(tier)


def abc_code(abc_class: AbcClass | None) -> int:
    """Code of an ABC class in batch arrays (`NO_CODE` for None)."""
    return NO_CODE if abc_class is None else ABC_ORDER.index(abc_class)


def stage_code(stage: LifecycleStage | None) -> int:
    """Code of a lifecycle stage in batch arrays (`NO_CODE` for None: not known yet)."""
    return NO_CODE if stage is None else STAGE_ORDER.index(stage)
