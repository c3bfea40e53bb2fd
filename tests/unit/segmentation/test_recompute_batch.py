"""The vectorized recompute runs over 1M customers and agrees with the per-customer forms.

Timing is printed by ``bench/bench_recompute_domain.py``, not asserted here.
"""

import random

import numpy as np
import pytest

from bench.bench_recompute_domain import SEGMENTS, recompute, synthetic_customers
from services.segmentation.domain.pareto import AbcParams, abc_class, classify_abc
from services.segmentation.domain.rfm import RfmValues, compute_breakpoints, score_customer
from services.segmentation.domain.rules import evaluate_segments, parse_condition
from services.segmentation.domain.tiers import TierParams, next_tier
from services.segmentation.domain.vocabulary import TIER_ORDER

N = 1_000_000


@pytest.fixture(scope="module")
def result():
    data = synthetic_customers(N, seed=3)
    frame, _ = recompute(data)
    return data, frame


def sample_rows(k=300):
    return random.Random(5).sample(range(N), k)


def test_every_customer_gets_every_figure(result):
    _, frame = result

    assert frame.height == N
    assert frame.select("rfm_code", "abc_class", "tier", "categories").null_count().row(0) == (
        0,
        0,
        0,
        0,
    )
    assert sorted(frame["abc_class"].unique().to_list()) == ["A", "B", "C"]
    for segment_id in SEGMENTS:
        members = frame[f"segment:{segment_id}"].sum()
        assert 0 < members < N, segment_id


def test_class_a_makes_about_80_percent_of_positive_contribution(result):
    _, frame = result
    positive = frame["contribution_365d"].clip(lower_bound=0)

    share = positive.filter(frame["abc_class"] == "A").sum() / positive.sum()

    assert 0.80 <= share < 0.81


def test_sampled_customers_match_the_per_customer_forms(result):
    data, frame = result
    breakpoints = compute_breakpoints(data["recency"], data["frequency"], data["monetary"])
    cutoffs = classify_abc(frame["contribution_365d"].to_numpy(), AbcParams()).cutoffs
    definitions = {k: parse_condition(v) for k, v in SEGMENTS.items()}

    for i in sample_rows():
        row = frame.row(i, named=True)
        recency = data["recency"][i]
        values = RfmValues(
            None if np.isnan(recency) else recency, data["frequency"][i], data["monetary"][i]
        )
        assert score_customer(values, breakpoints).code == row["rfm_code"]
        assert abc_class(row["contribution_365d"], cutoffs).value == row["abc_class"]
        previous = data["previous_tier"][i]
        current = None if previous < 0 else TIER_ORDER[previous]
        assert (
            next_tier(current, data["financial_assets"][i], TierParams()).tier.value == row["tier"]
        )
        expected = {s for s in SEGMENTS if row[f"segment:{s}"]}
        assert evaluate_segments(definitions, row) == expected
