import random

import numpy as np
import pytest

from services.segmentation.domain.errors import InvalidParametersError
from services.segmentation.domain.pareto import (
    AbcCutoffs,
    AbcParams,
    abc_class,
    classify_abc,
    pareto_report,
)
from services.segmentation.domain.vocabulary import ABC_ORDER, AbcClass


def classes(contribution, params=None):
    batch = classify_abc(np.array(contribution, dtype=float), params or AbcParams())
    return "".join(ABC_ORDER[code].value for code in batch.codes)


def test_a_makes_the_first_80_percent_b_the_next_15_c_the_rest():
    # total positive 100: 50 and 30 make the first 80; 10 and 5 the next 15
    assert classes([50, 30, 10, 5, 5, 0, -10]) == "AABBBCC"


def test_the_customer_crossing_the_a_line_is_in_a():
    # 20 has 70 before it, under the 80 line it crosses: it is A; 10 has 90 before it: B
    assert classes([70, 20, 10]) == "AAB"


def test_order_of_input_does_not_matter():
    assert classes([-10, 5, 30, 0, 50, 5, 10]) == "CBACABB"


def test_a_tie_straddling_a_line_goes_wholly_to_the_higher_class():
    # without the tie rule the third 30 (60 before it) would fall to B at a_share 0.5
    assert classes([30, 30, 30, 10], AbcParams(a_share=0.5, b_share=0.95)) == "AAAB"


def test_zero_and_negative_contributors_are_always_c():
    assert classes([0, -5, -1]) == "CCC"
    assert classify_abc(np.array([0.0, -5.0]), AbcParams()).cutoffs == AbcCutoffs()


def test_thresholds_are_configurable():
    assert classes([40, 30, 20, 10], AbcParams(a_share=0.4, b_share=0.7)) == "ABCC"


def test_empty_population():
    assert classify_abc(np.array([]), AbcParams()).codes.size == 0


@pytest.mark.parametrize("seed", range(10))
def test_cutoffs_classify_each_customer_as_the_batch_did(seed):
    rng = random.Random(seed)
    contribution = np.array(
        [round(rng.gauss(100, 300), rng.choice((-2, 0, 2))) for _ in range(rng.randint(1, 500))]
    )
    batch = classify_abc(contribution, AbcParams(a_share=rng.uniform(0.5, 0.9), b_share=0.95))

    for value, code in zip(contribution, batch.codes, strict=True):
        assert abc_class(float(value), batch.cutoffs) is ABC_ORDER[code]


def test_a_customer_outside_the_batch_is_classed_by_the_cutoffs():
    cutoffs = AbcCutoffs(a_min=1_000.0, b_min=200.0)

    assert abc_class(5_000.0, cutoffs) is AbcClass.A
    assert abc_class(200.0, cutoffs) is AbcClass.B
    assert abc_class(199.0, cutoffs) is AbcClass.C


@pytest.mark.parametrize("a_share, b_share", [(0.0, 0.5), (0.9, 0.8), (0.8, 1.2)])
def test_inconsistent_shares_are_refused(a_share, b_share):
    with pytest.raises(InvalidParametersError):
        AbcParams(a_share=a_share, b_share=b_share)


def test_report_compares_concentration_with_the_benchmarks():
    contribution = np.array([60, 10, 10, 10, 10, 5, 5, 0, -5, -5], dtype=float)

    report = pareto_report(contribution)

    assert report.total_contribution == pytest.approx(100)
    assert report.top_10_share == pytest.approx(0.60)
    assert report.top_20_share == pytest.approx(0.70)
    assert report.bottom_30_consumed_share == pytest.approx(0.10)
    by_name = {b.name: b for b in report.benchmarks}
    assert by_name["china_top_10_percent"].benchmark_share == 0.60
    assert by_name["worldwide_top_20_percent"].actual_share == pytest.approx(0.70)
    assert by_name["sherden_bottom_30_percent_consume"].actual_share == pytest.approx(0.10)


def test_report_curve_runs_from_nothing_to_the_whole_net_contribution():
    report = pareto_report(np.array([60, 10, 10, 10, 10, 5, 5, 0, -5, -5], dtype=float))

    assert report.points[0].contribution_share == 0.0
    assert report.points[-1].customer_share == 1.0
    assert report.points[-1].contribution_share == pytest.approx(1.0)
    peak = max(report.points, key=lambda p: p.contribution_share)
    assert peak.contribution_share == pytest.approx(1.10)  # the whale curve: losses come last


def test_report_interpolates_for_small_populations():
    report = pareto_report(np.array([3.0, 2.0, 1.0]))

    # the top 10 % of three customers is 0.3 of the best one: 0.9 of 6
    assert report.top_10_share == pytest.approx(0.15)


def test_report_has_no_shares_when_the_bank_makes_no_net_contribution():
    report = pareto_report(np.array([10.0, -20.0]))

    assert report.top_10_share is None
    assert report.bottom_30_consumed_share is None
    assert report.points == ()


def test_report_totals_per_class():
    contribution = np.array([50, 30, 10, 5, 5, 0, -10], dtype=float)
    batch = classify_abc(contribution, AbcParams())

    report = pareto_report(contribution, abc_codes=batch.codes)

    assert report.class_counts == {AbcClass.A: 2, AbcClass.B: 3, AbcClass.C: 2}
    assert report.class_contribution[AbcClass.C] == pytest.approx(-10)
