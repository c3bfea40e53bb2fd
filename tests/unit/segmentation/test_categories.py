import random
from typing import Any

import numpy as np
import pytest

from services.segmentation.domain.categories import (
    CategoryCutoffs,
    CategoryParams,
    CustomerValue,
    categories_series,
    categorize,
    categorize_batch,
    category_cutoffs,
)
from services.segmentation.domain.errors import InvalidParametersError
from services.segmentation.domain.tiers import TierParams
from services.segmentation.domain.vocabulary import (
    ABC_ORDER,
    STAGE_ORDER,
    TIER_ORDER,
    AbcClass,
    LifecycleStage,
    Tier,
    ValueCategory,
    abc_code,
    stage_code,
    tier_code,
)

PARAMS = CategoryParams()
TIERS = TierParams()
CUTOFFS = CategoryCutoffs(
    gold_min=5_000.0, growable_clv_min=2_000.0, growable_contribution_max=100.0
)


def make_value(**overrides):
    fields: dict[str, Any] = {
        "contribution": 50.0,
        "abc_class": AbcClass.B,
        "tier": Tier.AFFLUENT,
        "financial_assets": 1_000_000.0,
        "clv": 500.0,
        "stage": LifecycleStage.GROWTH,
        "previous_tier": Tier.AFFLUENT,
        "previous_abc_class": AbcClass.B,
    }
    return CustomerValue(**(fields | overrides))


def categories_of(**overrides):
    return categorize(make_value(**overrides), CUTOFFS, params=PARAMS, tier_params=TIERS)


def test_an_unremarkable_customer_has_no_category():
    assert categories_of() == frozenset()


@pytest.mark.parametrize(
    "stage, expected",
    [
        (LifecycleStage.DEVELOPMENT, False),
        (LifecycleStage.PROSPECT, False),
        (LifecycleStage.GROWTH, True),
        (LifecycleStage.DECLINE, True),
        (None, False),
    ],
)
def test_below_zero_is_never_a_development_or_prospect_customer(stage, expected):
    found = categories_of(contribution=-300.0, stage=stage)

    assert (ValueCategory.BELOW_ZERO in found) is expected


def test_below_zero_can_skip_the_known_stage_requirement():
    params = CategoryParams(below_zero_requires_stage=False)

    found = categorize(
        make_value(contribution=-1.0, stage=None), CUTOFFS, params=params, tier_params=TIERS
    )

    assert ValueCategory.BELOW_ZERO in found


def test_most_valuable_is_class_a():
    assert ValueCategory.MOST_VALUABLE in categories_of(
        abc_class=AbcClass.A, previous_abc_class=AbcClass.A
    )


def test_gold_is_the_top_share_by_contribution():
    contribution = np.arange(1.0, 31.0)  # 30 customers: the top 10 % is 3 of them

    cutoffs = category_cutoffs(contribution, np.full(30, np.nan), PARAMS)

    assert cutoffs.gold_min == 28.0


def test_ties_at_the_gold_line_are_all_gold_and_losses_never_are():
    contribution = np.array([9.0, 5.0, 5.0, 5.0, 1.0, 0, 0, 0, 0, 0])
    cutoffs = category_cutoffs(
        contribution, np.full(10, np.nan), CategoryParams(gold_top_share=0.2)
    )
    assert cutoffs.gold_min == 5.0

    losses = category_cutoffs(np.full(10, -3.0), np.full(10, np.nan), PARAMS)
    found = categorize(make_value(contribution=-3.0), losses, params=PARAMS, tier_params=TIERS)
    assert ValueCategory.GOLD not in found


def test_most_growable_is_high_clv_with_low_current_contribution():
    assert ValueCategory.MOST_GROWABLE in categories_of(clv=3_000.0, contribution=20.0)
    assert ValueCategory.MOST_GROWABLE not in categories_of(clv=3_000.0, contribution=900.0)
    assert ValueCategory.MOST_GROWABLE not in categories_of(clv=1_000.0, contribution=20.0)
    assert ValueCategory.MOST_GROWABLE not in categories_of(clv=None, contribution=20.0)


def test_growable_cutoffs_are_population_quantiles():
    clv = np.arange(1.0, 101.0)
    contribution = np.arange(-50.0, 50.0)

    cutoffs = category_cutoffs(contribution, clv, PARAMS)

    assert cutoffs.growable_clv_min == pytest.approx(np.quantile(clv, 0.8))
    assert cutoffs.growable_contribution_max == pytest.approx(np.quantile(contribution, 0.5))


@pytest.mark.parametrize(
    "overrides",
    [
        {"previous_tier": Tier.MASS},
        {"previous_abc_class": AbcClass.A},
        # held in private banking by hysteresis while below the plain minimum
        {
            "tier": Tier.PRIVATE_BANKING,
            "previous_tier": Tier.PRIVATE_BANKING,
            "financial_assets": 5_800_000.0,
        },
    ],
)
def test_migrators_changed_tier_or_class_or_sit_across_a_boundary(overrides):
    assert ValueCategory.MIGRATOR in categories_of(**overrides)


def test_a_first_classification_is_not_a_migration():
    assert ValueCategory.MIGRATOR not in categories_of(previous_tier=None, previous_abc_class=None)


def test_shares_outside_zero_to_one_are_refused():
    with pytest.raises(InvalidParametersError):
        CategoryParams(gold_top_share=1.5)


def random_population(rng, n):
    assets_choices = (1e5, 6e5, 5.8e6, 6.1e6, 9e6)
    return {
        "contribution": np.array(
            [rng.choice((rng.gauss(0, 500), 0.0, 100.0, np.nan)) for _ in range(n)]
        ),
        "abc": np.array([rng.randrange(3) for _ in range(n)], dtype=np.int8),
        "tier": np.array([rng.randrange(3) for _ in range(n)], dtype=np.int8),
        "assets": np.array([rng.choice(assets_choices) for _ in range(n)]),
        "clv": np.array([rng.choice((np.nan, rng.uniform(-10, 5e3))) for _ in range(n)]),
        "stage": np.array([rng.randrange(-1, len(STAGE_ORDER)) for _ in range(n)], dtype=np.int8),
        "prev_tier": np.array([rng.randrange(-1, 3) for _ in range(n)], dtype=np.int8),
        "prev_abc": np.array([rng.randrange(-1, 3) for _ in range(n)], dtype=np.int8),
    }


def customer(pop, i):
    def code_to(order, code):
        return None if code < 0 else order[code]

    clv = float(pop["clv"][i])
    return CustomerValue(
        contribution=float(pop["contribution"][i]),
        abc_class=ABC_ORDER[pop["abc"][i]],
        tier=TIER_ORDER[pop["tier"][i]],
        financial_assets=float(pop["assets"][i]),
        clv=None if np.isnan(clv) else clv,
        stage=code_to(STAGE_ORDER, pop["stage"][i]),
        previous_tier=code_to(TIER_ORDER, pop["prev_tier"][i]),
        previous_abc_class=code_to(ABC_ORDER, pop["prev_abc"][i]),
    )


@pytest.mark.parametrize("seed", range(8))
def test_batch_gives_the_per_customer_answers(seed):
    rng = random.Random(seed)
    pop = random_population(rng, rng.choice((1, 5, 40, 300)))
    params = CategoryParams(
        gold_top_share=rng.choice((0.0, 0.1, 0.2)), below_zero_requires_stage=rng.random() < 0.5
    )
    cutoffs = category_cutoffs(pop["contribution"], pop["clv"], params)

    flags = categorize_batch(
        contribution=pop["contribution"],
        abc_codes=pop["abc"],
        tier_codes=pop["tier"],
        financial_assets=pop["assets"],
        clv=pop["clv"],
        stage_codes=pop["stage"],
        previous_tier_codes=pop["prev_tier"],
        previous_abc_codes=pop["prev_abc"],
        cutoffs=cutoffs,
        params=params,
        tier_params=TIERS,
    )

    for i in range(pop["contribution"].size):
        one = categorize(customer(pop, i), cutoffs, params=params, tier_params=TIERS)
        assert flags.of(i) == one, i


def test_categories_series_lists_each_customers_categories():
    pop = random_population(random.Random(3), 50)
    cutoffs = category_cutoffs(pop["contribution"], pop["clv"], PARAMS)
    flags = categorize_batch(
        contribution=pop["contribution"],
        abc_codes=pop["abc"],
        tier_codes=pop["tier"],
        financial_assets=pop["assets"],
        clv=pop["clv"],
        stage_codes=pop["stage"],
        previous_tier_codes=pop["prev_tier"],
        previous_abc_codes=pop["prev_abc"],
        cutoffs=cutoffs,
        params=PARAMS,
        tier_params=TIERS,
    )

    series = categories_series(flags)

    assert series.name == "categories"
    assert [frozenset(v) for v in series.to_list()] == [flags.of(i) for i in range(50)]
    assert sum(flags.counts().values()) == series.list.len().sum()


def test_code_helpers_round_trip():
    assert abc_code(None) == tier_code(None) == stage_code(None) == -1
    assert TIER_ORDER[tier_code(Tier.AFFLUENT)] is Tier.AFFLUENT
