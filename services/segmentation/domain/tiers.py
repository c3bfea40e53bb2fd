"""Wealth tiers on financial assets, with a hysteresis band against flapping.

Thresholds (yuan): affluent from ``affluent_min``, private banking from ``private_banking_min``
(default ¥6M, implied by the bank documents: ¥6–8M clients "reach the threshold"). Unknown
assets (NaN, no balance snapshot yet) count as 0.

Hysteresis, for a customer whose tier is known: they move *up* to the highest tier whose
threshold × (1 + h) their assets reach; otherwise they move *down* only when their assets fall
below their own tier's threshold × (1 − h), and then to the highest tier whose
threshold × (1 − h) they still reach; otherwise they stay. A customer seen for the first time
(no current tier) is placed on the plain thresholds. So a ¥6M private-banking client drifting
between ¥5.8M and ¥6.2M (h = 5 %) keeps their tier, and so does a mass customer doing the same.

Flags, on the plain figures whatever the tier:
* *borderline* (临界客户): below the private-banking minimum by less than ``borderline_band``
  (default ¥1M), i.e. ¥5M ≤ assets < ¥6M: the watch list of clients about to qualify or lapse;
* *stable*: private banking with assets above ``stable_min`` (default ¥8M), the documents' band
  where client assets no longer fluctuate across the threshold.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from services.segmentation.domain.errors import InvalidParametersError
from services.segmentation.domain.vocabulary import (
    NO_CODE,
    TIER_ORDER,
    BoolArray,
    CodeArray,
    FloatArray,
    Tier,
)

_PB_CODE = TIER_ORDER.index(Tier.PRIVATE_BANKING)


@dataclass(frozen=True, slots=True)
class TierParams:
    """Tier thresholds in yuan of financial assets and the relative hysteresis half-width."""

    affluent_min: float = 500_000.0
    private_banking_min: float = 6_000_000.0
    borderline_band: float = 1_000_000.0
    stable_min: float = 8_000_000.0
    hysteresis: float = 0.05

    def __post_init__(self) -> None:
        if not 0.0 <= self.hysteresis < 1.0:
            raise InvalidParametersError("hysteresis must be in [0, 1)")
        if not 0.0 < self.affluent_min < self.private_banking_min <= self.stable_min:
            raise InvalidParametersError(
                "need 0 < affluent_min < private_banking_min <= stable_min"
            )
        if self.up_edges[0] >= self.down_edges[1]:
            raise InvalidParametersError("the affluent and PB hysteresis bands overlap")
        if not math.isfinite(self.borderline_band) or self.borderline_band < 0:
            raise InvalidParametersError("borderline_band must be finite and >= 0")

    @property
    def thresholds(self) -> tuple[float, float]:
        """Plain minimum assets of affluent and private banking."""
        return (self.affluent_min, self.private_banking_min)

    @property
    def up_edges(self) -> tuple[float, float]:
        """Assets needed to move up into affluent and into private banking."""
        return (
            self.affluent_min * (1 + self.hysteresis),
            self.private_banking_min * (1 + self.hysteresis),
        )

    @property
    def down_edges(self) -> tuple[float, float]:
        """Assets below which a customer leaves affluent and private banking."""
        return (
            self.affluent_min * (1 - self.hysteresis),
            self.private_banking_min * (1 - self.hysteresis),
        )


@dataclass(frozen=True, slots=True)
class TierDecision:
    """A customer's tier after a balance change; `changed` is False on first classification."""

    tier: Tier
    borderline: bool
    stable: bool
    changed: bool


@dataclass(frozen=True, slots=True, eq=False)
class TierBatch:
    """Tier codes (index into `TIER_ORDER`) and flags, one array element per customer."""

    codes: CodeArray
    borderline: BoolArray
    stable: BoolArray
    changed: BoolArray


def plain_tier(assets: float, params: TierParams) -> Tier:
    """Tier on the plain thresholds, without hysteresis."""
    assets = 0.0 if math.isnan(assets) else assets
    return TIER_ORDER[bisect_right(params.thresholds, assets)]


def next_tier(current: Tier | None, assets: float, params: TierParams) -> TierDecision:
    """Tier of one customer given their tier so far and their current financial assets."""
    assets = 0.0 if math.isnan(assets) else assets
    plain = bisect_right(params.thresholds, assets)
    if current is None:
        code = plain
    else:
        held = TIER_ORDER.index(current)
        up = bisect_right(params.up_edges, assets)
        keep = bisect_right(params.down_edges, assets)
        code = up if up > held else (keep if keep < held else held)
    pb_min = params.private_banking_min
    return TierDecision(
        tier=TIER_ORDER[code],
        borderline=pb_min - params.borderline_band <= assets < pb_min,
        stable=code == _PB_CODE and assets > params.stable_min,
        changed=current is not None and TIER_ORDER[code] != current,
    )


def next_tier_batch(current: CodeArray, assets: FloatArray, params: TierParams) -> TierBatch:
    """`next_tier` over arrays; `current` holds tier codes, `NO_CODE` where none is known."""
    current = np.asarray(current, dtype=np.int8)
    assets = np.nan_to_num(np.asarray(assets, dtype=np.float64), nan=0.0)
    plain = np.searchsorted(np.asarray(params.thresholds), assets, side="right")
    up = np.searchsorted(np.asarray(params.up_edges), assets, side="right")
    keep = np.searchsorted(np.asarray(params.down_edges), assets, side="right")
    held = np.where(up > current, up, np.where(keep < current, keep, current))
    codes = np.where(current == NO_CODE, plain, held).astype(np.int8)
    pb_min = params.private_banking_min
    return TierBatch(
        codes=codes,
        borderline=(assets >= pb_min - params.borderline_band) & (assets < pb_min),
        stable=(codes == _PB_CODE) & (assets > params.stable_min),
        changed=(current != NO_CODE) & (codes != current),
    )
