"""Time the vectorized segmentation recompute over synthetic customers (domain part only).

Run: ``.venv/bin/python -m bench.bench_recompute_domain [n_customers]`` (default 1,000,000).
The service goal is ≤ 10 s for 1M customers including CLV predictions and I/O; this measures
contribution, RFM, ABC, tiers, categories and five rule segments (one reading another).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from services.segmentation.domain.categories import (
    CategoryParams,
    categories_series,
    categorize_batch,
    category_cutoffs,
)
from services.segmentation.domain.contribution import (
    ContributionParams,
    compute_contribution_batch,
)
from services.segmentation.domain.pareto import AbcParams, classify_abc, pareto_report
from services.segmentation.domain.rfm import compute_breakpoints, score_batch
from services.segmentation.domain.rules import evaluate_segments_frame, parse_condition
from services.segmentation.domain.tiers import TierParams, next_tier_batch
from services.segmentation.domain.vocabulary import ABC_ORDER, STAGE_ORDER, TIER_ORDER

CHANNELS = ("branch", "atm", "mobile_banking", "online_banking", "call_center")

SEGMENTS: dict[str, Any] = {
    "pb_active": {
        "all": [
            {"field": "tier", "op": "eq", "value": "private_banking"},
            {"field": "txn_count", "window": "90d", "op": "gte", "value": 5},
        ]
    },
    "champions": {"field": "rfm_code", "op": "in", "value": ["555", "554", "545", "455"]},
    "gold_not_declining": {
        "all": [
            {"field": "categories", "op": "contains", "value": "gold"},
            {"not": {"field": "lifecycle_stage", "op": "in", "value": ["decline", "terminated"]}},
        ]
    },
    "at_risk_valuable": {
        "all": [
            {"field": "abc_class", "op": "in", "value": ["A", "B"]},
            {
                "any": [
                    {"field": "rfm_r", "op": "lte", "value": 2},
                    {"field": "pb_borderline", "op": "eq", "value": True},
                ]
            },
        ]
    },
    "at_risk_not_champion": {
        "all": [
            {"segment": "at_risk_valuable", "op": "member"},
            {"not": {"segment": "champions", "op": "member"}},
            {"field": "financial_assets", "op": "between", "value": [100_000, 50_000_000]},
        ]
    },
}


@dataclass
class Timings:
    """Seconds per step, in order."""

    steps: dict[str, float] = field(default_factory=dict)

    def run(self, name: str, step: Callable[[], Any]) -> Any:
        """Run `step`, record its duration under `name`, return its result."""
        start = time.perf_counter()
        result = step()
        self.steps[name] = time.perf_counter() - start
        return result


def synthetic_customers(n: int, seed: int = 7) -> dict[str, np.ndarray]:
    """Per-customer inputs as the service would load them: aggregates, balances, last values."""
    rng = np.random.default_rng(seed)
    active = rng.random(n) < 0.8
    frequency = np.where(active, rng.negative_binomial(2, 0.15, n) + 1, 0).astype(np.float64)
    data = {
        "days": np.full(n, 365.0),
        "fee_income": rng.gamma(0.6, 400.0, n),
        "avg_deposit_balance": rng.lognormal(10.5, 1.6, n),
        "avg_loan_balance": np.where(rng.random(n) < 0.25, rng.lognormal(12.0, 1.0, n), 0.0),
        "carried_cost": np.where(rng.random(n) < 0.1, rng.gamma(1.0, 30.0, n), 0.0),
        "frequency": frequency,
        "monetary": frequency * rng.lognormal(7.0, 1.0, n),
        "recency": np.where(rng.random(n) < 0.95, rng.exponential(60.0, n).round(), np.nan),
        "financial_assets": rng.lognormal(11.5, 1.8, n),
        "clv": np.where(rng.random(n) < 0.9, rng.lognormal(6.0, 1.5, n), np.nan),
        "txn_count_90d": rng.poisson(frequency / 4.0).astype(np.float64),
    }
    for channel in CHANNELS:
        data[f"txn_{channel}"] = rng.binomial(frequency.astype(np.int64), 1 / len(CHANNELS))
    data["previous_tier"] = rng.integers(-1, 3, n).astype(np.int8)
    data["previous_abc"] = rng.integers(-1, 3, n).astype(np.int8)
    data["stage"] = rng.integers(-1, len(STAGE_ORDER), n).astype(np.int8)
    return data


def recompute(data: dict[str, np.ndarray]) -> tuple[pl.DataFrame, Timings]:
    """The vectorized recompute of every domain figure, timed per step."""
    t = Timings()
    contribution = t.run("contribution", lambda: _contribution(data)).total
    rfm = t.run("rfm", lambda: _rfm(data))
    abc = t.run("abc", lambda: classify_abc(contribution, AbcParams()))
    tiers = t.run(
        "tiers",
        lambda: next_tier_batch(data["previous_tier"], data["financial_assets"], TierParams()),
    )
    flags = t.run("categories", lambda: _categories(data, contribution, abc.codes, tiers.codes))
    t.run("pareto_report", lambda: pareto_report(contribution, abc_codes=abc.codes))
    frame = t.run("segment_frame", lambda: _frame(data, contribution, rfm, abc, tiers, flags))
    definitions = {
        name: parse_condition(raw, known_segments=SEGMENTS) for name, raw in SEGMENTS.items()
    }
    members = t.run("segments", lambda: evaluate_segments_frame(definitions, frame))
    return frame.hstack(members.get_columns()), t


def _contribution(data: dict[str, np.ndarray]):
    return compute_contribution_batch(
        days=data["days"],
        fee_income=data["fee_income"],
        avg_deposit_balance=data["avg_deposit_balance"],
        avg_loan_balance=data["avg_loan_balance"],
        txn_counts={c: data[f"txn_{c}"] for c in CHANNELS},
        carried_counts={},
        carried_cost=data["carried_cost"],
        params=ContributionParams(),
    )


def _rfm(data: dict[str, np.ndarray]):
    breakpoints = compute_breakpoints(data["recency"], data["frequency"], data["monetary"])
    return score_batch(data["recency"], data["frequency"], data["monetary"], breakpoints)


def _categories(data, contribution, abc_codes, tier_codes):
    params = CategoryParams()
    cutoffs = category_cutoffs(contribution, data["clv"], params)
    return categorize_batch(
        contribution=contribution,
        abc_codes=abc_codes,
        tier_codes=tier_codes,
        financial_assets=data["financial_assets"],
        clv=data["clv"],
        stage_codes=data["stage"],
        previous_tier_codes=data["previous_tier"],
        previous_abc_codes=data["previous_abc"],
        cutoffs=cutoffs,
        params=params,
        tier_params=TierParams(),
    )


def _labels(codes: np.ndarray, names: tuple[str, ...]) -> pl.Series:
    mapping = {i: str(name) for i, name in enumerate(names)}
    return pl.Series(codes).replace_strict(mapping, default=None, return_dtype=pl.String)


def _frame(data, contribution, rfm, abc, tiers, flags) -> pl.DataFrame:
    """The columns rule segments read, one row per customer."""
    return pl.DataFrame(
        {
            "customer_id": np.arange(contribution.size),
            "contribution_365d": contribution,
            "txn_count_90d": data["txn_count_90d"],
            "financial_assets": data["financial_assets"],
            "clv": data["clv"],
            "rfm_r": rfm.recency,
            "rfm_code": pl.Series(rfm.code).cast(pl.String),
            "abc_class": _labels(abc.codes, ABC_ORDER),
            "tier": _labels(tiers.codes, TIER_ORDER),
            "pb_borderline": tiers.borderline,
            "lifecycle_stage": _labels(data["stage"], STAGE_ORDER),
            "categories": categories_series(flags),
        }
    )


def main(argv: list[str]) -> None:
    """Build the population, run the recompute, print the timings."""
    n = int(argv[1]) if len(argv) > 1 else 1_000_000
    start = time.perf_counter()
    data = synthetic_customers(n)
    print(f"built {n:,} synthetic customers in {time.perf_counter() - start:.2f} s")
    frame, timings = recompute(data)
    for name, seconds in timings.steps.items():
        print(f"  {name:<16} {seconds:7.3f} s")
    print(f"  {'total':<16} {sum(timings.steps.values()):7.3f} s")
    for column in (c for c in frame.columns if c.startswith("segment:")):
        print(f"  {column:<32} {int(frame[column].sum()):>9,} members")


if __name__ == "__main__":
    main(sys.argv)
