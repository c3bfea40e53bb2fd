import math

import polars as pl
import pytest

from services.segmentation.domain.rules import evaluate, evaluate_frame, parse_condition
from services.segmentation.domain.vocabulary import Tier
from tests.unit.segmentation.rules_support import frame_of


def members(raw, records, memberships=None):
    """Membership per record, asserting both evaluators agree."""
    node = parse_condition(raw)
    one_by_one = [evaluate(node, r, (memberships or {}).get(i, ())) for i, r in enumerate(records)]
    vectorized = evaluate_frame(node, frame_of(records)).to_list()
    assert one_by_one == vectorized
    return one_by_one


def test_comparisons_select_matching_customers():
    records = [{"age": 25}, {"age": 40}, {"age": 60}]

    assert members({"field": "age", "op": "gt", "value": 30}, records) == [False, True, True]
    assert members({"field": "age", "op": "lte", "value": 40}, records) == [True, True, False]
    assert members({"field": "age", "op": "between", "value": [25, 40]}, records) == [
        True,
        True,
        False,
    ]
    assert members({"field": "age", "op": "in", "value": [25, 60]}, records) == [True, False, True]


def test_a_missing_value_fails_every_comparison_even_ne_and_not_in():
    records = [{"tier": None}, {}, {"tier": "mass"}]

    assert members({"field": "tier", "op": "ne", "value": "affluent"}, records) == [
        False,
        False,
        True,
    ]
    assert members({"field": "tier", "op": "not_in", "value": ["affluent"]}, records) == [
        False,
        False,
        True,
    ]


def test_not_of_a_comparison_holds_for_a_missing_value():
    raw = {"not": {"field": "age", "op": "gt", "value": 30}}

    assert members(raw, [{"age": None}, {"age": 31}, {"age": 20}]) == [True, False, True]


def test_nan_counts_as_missing():
    records = [{"clv": math.nan}, {"clv": 10.0}]

    assert members({"field": "clv", "op": "ne", "value": 5}, records) == [False, True]
    assert members({"field": "clv", "op": "exists"}, records) == [False, True]
    assert members({"field": "clv", "op": "exists", "value": False}, records) == [True, False]


def test_windowed_fields_read_their_windows_column():
    records = [{"txn_count_90d": 6, "txn_count_30d": 1}, {"txn_count_90d": 2, "txn_count_30d": 2}]
    raw = {"field": "txn_count", "window": "90d", "op": "gte", "value": 5}

    assert members(raw, records) == [True, False]


def test_contains_looks_inside_sets():
    records = [{"categories": {"gold", "migrator"}}, {"categories": set()}, {}]
    raw = {"field": "categories", "op": "contains", "value": "gold"}

    assert members(raw, records) == [True, False, False]


def test_booleans_and_enums_compare_by_value():
    records = [{"vip": True, "tier": Tier.PRIVATE_BANKING}, {"vip": False, "tier": "mass"}]

    assert members({"field": "vip", "op": "eq", "value": False}, records) == [False, True]
    assert members({"field": "tier", "op": "eq", "value": "private_banking"}, records) == [
        True,
        False,
    ]


def test_all_any_not_combine():
    raw = {
        "any": [
            {
                "all": [
                    {"field": "age", "op": "gte", "value": 45},
                    {"field": "vip", "op": "eq", "value": True},
                ]
            },
            {"not": {"field": "age", "op": "exists"}},
        ]
    }
    records = [{"age": 50, "vip": True}, {"age": 50, "vip": False}, {"vip": False}]

    assert members(raw, records) == [True, False, True]


def test_segment_membership_is_read_from_the_memberships():
    raw = {"segment": "vip-club", "op": "member"}

    assert evaluate(parse_condition(raw), {}, {"vip-club"}) is True
    assert evaluate(parse_condition(raw), {}, set()) is False


def test_frame_evaluation_reads_segment_columns_and_tolerates_absent_ones():
    node = parse_condition({"segment": "vip-club", "op": "member"})
    frame = frame_of([{}, {}]).with_columns(pl.Series("segment:vip-club", [True, None]))

    assert evaluate_frame(node, frame).to_list() == [True, False]
    assert evaluate_frame(node, frame_of([{}])).to_list() == [False]


@pytest.mark.parametrize("dtype", [pl.Categorical, pl.String])
def test_frames_may_hold_enums_as_categoricals(dtype):
    node = parse_condition({"field": "tier", "op": "in", "value": ["mass", "affluent"]})
    frame = pl.DataFrame({"tier": pl.Series(["mass", "private_banking", None], dtype=dtype)})

    assert evaluate_frame(node, frame).to_list() == [True, False, False]


def test_integer_columns_compare_as_numbers():
    node = parse_condition({"field": "txn_count", "window": "all", "op": "eq", "value": 3})
    frame = pl.DataFrame({"txn_count_all": pl.Series([3, 4, None], dtype=pl.Int32)})

    assert evaluate_frame(node, frame).to_list() == [True, False, False]
