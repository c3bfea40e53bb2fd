import random

import numpy as np
import pytest

from services.segmentation.domain.errors import InvalidParametersError
from services.segmentation.domain.tiers import TierParams, next_tier, next_tier_batch, plain_tier
from services.segmentation.domain.vocabulary import NO_CODE, TIER_ORDER, Tier, tier_code

PARAMS = TierParams()  # affluent 500k, PB 6M, borderline 1M, stable 8M, hysteresis 5 %
MASS, AFFLUENT, PB = Tier.MASS, Tier.AFFLUENT, Tier.PRIVATE_BANKING


def walk(assets_path, start=None, params=PARAMS):
    tier, decisions = start, []
    for assets in assets_path:
        decision = next_tier(tier, assets, params)
        decisions.append(decision)
        tier = decision.tier
    return decisions


@pytest.mark.parametrize(
    "assets, tier",
    [(0, MASS), (499_999, MASS), (500_000, AFFLUENT), (5_999_999, AFFLUENT), (6_000_000, PB)],
)
def test_a_new_customer_is_placed_on_the_plain_thresholds(assets, tier):
    decision = next_tier(None, assets, PARAMS)

    assert decision.tier is tier
    assert decision.changed is False


def test_a_private_banking_client_oscillating_around_the_threshold_does_not_flap():
    decisions = walk([6_100_000, 5_900_000, 6_150_000, 5_800_000, 6_200_000], start=PB)

    assert {d.tier for d in decisions} == {PB}
    assert not any(d.changed for d in decisions)
    assert [d.borderline for d in decisions] == [False, True, False, True, False]


def test_an_affluent_client_oscillating_around_the_threshold_does_not_flap():
    decisions = walk([6_100_000, 5_900_000, 6_250_000], start=AFFLUENT)

    assert {d.tier for d in decisions} == {AFFLUENT}


def test_leaving_the_band_changes_the_tier():
    down = next_tier(PB, 5_650_000, PARAMS)
    up = next_tier(AFFLUENT, 6_300_000, PARAMS)

    assert (down.tier, down.changed, down.borderline) == (AFFLUENT, True, True)
    assert (up.tier, up.changed) == (PB, True)


def test_a_big_move_crosses_several_tiers_at_once():
    assert next_tier(MASS, 9_000_000, PARAMS).tier is PB
    assert next_tier(PB, 100_000, PARAMS).tier is MASS


def test_falling_into_the_lower_band_lands_in_the_tier_that_band_holds():
    # below PB's lower edge but inside affluent's band: affluent, not mass
    assert next_tier(PB, 480_000, PARAMS).tier is AFFLUENT


def test_stable_means_private_banking_above_eight_million():
    assert next_tier(PB, 8_000_001, PARAMS).stable is True
    assert next_tier(PB, 8_000_000, PARAMS).stable is False
    assert next_tier(PB, 6_500_000, PARAMS).stable is False


def test_borderline_is_the_million_below_the_private_banking_minimum():
    assert next_tier(None, 5_000_000, PARAMS).borderline is True
    assert next_tier(None, 4_999_999, PARAMS).borderline is False
    assert next_tier(None, 6_000_000, PARAMS).borderline is False


def test_without_hysteresis_the_tier_follows_the_plain_thresholds():
    params = TierParams(hysteresis=0.0)
    decisions = walk([6_000_000, 5_999_999, 6_000_000], start=AFFLUENT, params=params)

    assert [d.tier for d in decisions] == [PB, AFFLUENT, PB]


def test_thresholds_are_configurable():
    params = TierParams(affluent_min=1_000_000, private_banking_min=10_000_000, stable_min=12e6)

    assert plain_tier(8_000_000, params) is AFFLUENT
    assert next_tier(None, 9_500_000, params).borderline is True


def test_unknown_assets_count_as_none():
    assert next_tier(None, float("nan"), PARAMS).tier is MASS


@pytest.mark.parametrize(
    "overrides",
    [
        {"hysteresis": 1.0},
        {"affluent_min": 7_000_000},
        {"stable_min": 5_000_000},
        {"affluent_min": 3_000_000, "hysteresis": 0.4},
    ],
)
def test_inconsistent_parameters_are_refused(overrides):
    with pytest.raises(InvalidParametersError):
        TierParams(**overrides)


@pytest.mark.parametrize("seed", range(5))
def test_batch_gives_the_per_customer_answers_along_random_walks(seed):
    rng = random.Random(seed)
    params = TierParams(hysteresis=rng.choice((0.0, 0.05, 0.1)))
    n = 300
    current = np.full(n, NO_CODE, dtype=np.int8)
    tiers: list[Tier | None] = [None] * n
    assets = np.array([rng.choice((4e5, 5.5e6, 6e6, 7.9e6, 2e5)) for _ in range(n)])
    for _ in range(30):
        assets = np.maximum(assets * np.array([rng.uniform(0.9, 1.1) for _ in range(n)]), 0)
        if rng.random() < 0.1:
            assets[rng.randrange(n)] = float("nan")
        batch = next_tier_batch(current, assets, params)
        for i in range(n):
            one = next_tier(tiers[i], float(assets[i]), params)
            got = (TIER_ORDER[batch.codes[i]], batch.borderline[i], batch.stable[i])
            assert got == (one.tier, one.borderline, one.stable)
            assert batch.changed[i] == one.changed
            tiers[i] = one.tier
        current = batch.codes
    assert current.tolist() == [tier_code(t) for t in tiers]
