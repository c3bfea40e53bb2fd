import datetime as dt
import random

import numpy as np
import pytest

from services.segmentation.domain.rfm import (
    Breakpoints,
    RfmScores,
    RfmValues,
    compute_breakpoints,
    recency_days,
    score_batch,
    score_customer,
)


def population(recency, frequency, monetary):
    arrays = (np.array(recency, dtype=float), np.array(frequency, dtype=float))
    return (*arrays, np.array(monetary, dtype=float))


def test_code_concatenates_the_three_scores():
    assert RfmScores(recency=5, frequency=4, monetary=5).code == "545"


def test_recency_days_counts_calendar_days():
    as_of = dt.datetime(2025, 3, 10, 9, 0)

    assert recency_days(dt.datetime(2025, 3, 9, 23, 59), as_of) == 1
    assert recency_days(None, as_of) is None


def test_distinct_values_split_into_equal_quintiles():
    values = np.arange(1, 101, dtype=float)
    breakpoints = compute_breakpoints(values, values, values)

    batch = score_batch(values, values, values, breakpoints)

    assert np.bincount(batch.frequency)[1:].tolist() == [20, 20, 20, 20, 20]
    assert np.bincount(batch.recency)[1:].tolist() == [20, 20, 20, 20, 20]


def test_recency_scores_inversely():
    values = np.arange(1, 101, dtype=float)
    breakpoints = compute_breakpoints(values, values, values)

    recent = score_customer(RfmValues(recency_days=1, frequency=100, monetary=100), breakpoints)
    lapsed = score_customer(RfmValues(recency_days=100, frequency=1, monetary=1), breakpoints)

    assert recent.code == "555"
    assert lapsed.code == "111"


def test_customers_without_activity_score_lowest_and_do_not_shift_breakpoints():
    recency, frequency, monetary = population(
        [1, 2, 3, 4, 5, np.nan, 400], [5, 4, 3, 2, 1, 0, 0], [50, 40, 30, 20, 10, 0, 0]
    )
    breakpoints = compute_breakpoints(recency, frequency, monetary)

    idle = score_customer(RfmValues(recency_days=400, frequency=0, monetary=0), breakpoints)
    never = score_customer(RfmValues(recency_days=None, frequency=0, monetary=0), breakpoints)

    assert (idle.frequency, idle.monetary) == (1, 1)
    assert never.code == "111"
    assert (
        breakpoints.frequency
        == compute_breakpoints(
            *population([1, 2, 3, 4, 5], [5, 4, 3, 2, 1], [50, 40, 30, 20, 10])
        ).frequency
    )


def test_equal_values_share_a_score():
    frequency = np.array([1.0] * 60 + list(range(2, 42)))
    breakpoints = compute_breakpoints(np.ones_like(frequency), frequency, frequency)

    scores = score_batch(np.ones_like(frequency), frequency, frequency, breakpoints)

    assert len(set(scores.frequency[:60].tolist())) == 1


def test_a_population_without_spread_scores_neutral():
    same = np.full(10, 7.0)
    breakpoints = compute_breakpoints(same, same, same)

    scores = score_customer(RfmValues(recency_days=7, frequency=7, monetary=7), breakpoints)

    assert scores.code == "333"
    assert score_customer(RfmValues(8, 8, 8), breakpoints).code == "155"


def test_a_single_customer_scores_neutral():
    breakpoints = compute_breakpoints(*population([3], [2], [500]))

    assert score_customer(RfmValues(3, 2, 500), breakpoints).code == "333"


def test_no_breakpoints_yet_scores_an_active_customer_neutral():
    scores = score_customer(RfmValues(recency_days=2, frequency=3, monetary=10), Breakpoints())

    assert scores.code == "333"


def test_a_value_on_a_breakpoint_takes_the_lower_score():
    breakpoints = Breakpoints(
        recency=(10.0, 20.0, 30.0, 40.0),
        frequency=(10.0, 20.0, 30.0, 40.0),
        monetary=(10.0, 20.0, 30.0, 40.0),
    )

    on_cut = score_customer(RfmValues(20, 20, 20), breakpoints)
    inside = score_customer(RfmValues(15, 15, 15), breakpoints)

    assert (on_cut.recency, on_cut.frequency) == (3, 2)
    assert (inside.recency, inside.frequency) == (4, 2)


@pytest.mark.parametrize("seed", range(20))
def test_batch_and_per_customer_scores_agree(seed):
    rng = random.Random(seed)
    n = rng.choice((1, 2, 3, 7, 50, 400))
    recency = [rng.choice((np.nan, rng.randint(0, 30), rng.uniform(0, 900))) for _ in range(n)]
    frequency = [rng.choice((0, 1, 1, 2, rng.randint(0, 60))) for _ in range(n)]
    monetary = [f * rng.choice((10.0, rng.uniform(1, 1e4), np.nan)) for f in frequency]
    r, f, m = population(recency, frequency, monetary)
    breakpoints = compute_breakpoints(r, f, m)

    batch = score_batch(r, f, m, breakpoints)

    for i in range(n):
        one = score_customer(RfmValues(recency[i], frequency[i], monetary[i]), breakpoints)
        assert one.code == str(batch.code[i]), i
