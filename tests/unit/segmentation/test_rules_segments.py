from typing import Any

import polars as pl
import pytest

from services.segmentation.domain.errors import SegmentCycleError
from services.segmentation.domain.rules import (
    affected_segments,
    check_definition,
    dependency_levels,
    evaluate_segments,
    evaluate_segments_frame,
    find_cycle,
    parse_condition,
    preview,
)
from tests.unit.segmentation.rules_support import frame_of


def ref(segment_id):
    return {"segment": segment_id, "op": "member"}


def define(**raw_by_id):
    return {segment_id: parse_condition(raw) for segment_id, raw in raw_by_id.items()}


RICH = {"field": "financial_assets", "op": "gte", "value": 1_000_000}
ACTIVE = {"field": "txn_count", "window": "90d", "op": "gte", "value": 5}
DEFINITIONS = define(
    rich=RICH,
    active=ACTIVE,
    rich_active={"all": [ref("rich"), ref("active")]},
    rich_idle={"all": [ref("rich"), {"not": ref("rich_active")}]},
)


def test_no_cycle_in_a_tree_of_references():
    assert find_cycle(DEFINITIONS) is None


@pytest.mark.parametrize(
    "definitions, cycle",
    [
        (define(a=ref("a")), ("a", "a")),
        (define(a=ref("b"), b=ref("a")), ("a", "b", "a")),
        (
            define(a=ref("b"), b={"any": [RICH, {"not": ref("c")}]}, c=ref("a")),
            ("a", "b", "c", "a"),
        ),
    ],
)
def test_cycles_are_found_and_named(definitions, cycle):
    assert find_cycle(definitions) == cycle
    with pytest.raises(SegmentCycleError) as caught:
        dependency_levels(definitions)
    assert caught.value.cycle == cycle


def test_saving_a_definition_that_closes_a_loop_is_refused():
    closing = parse_condition({"all": [ACTIVE, ref("rich_idle")]})

    with pytest.raises(SegmentCycleError, match="rich -> rich_idle -> rich"):
        check_definition("rich", closing, DEFINITIONS)
    check_definition("new", closing, DEFINITIONS)  # the same condition under a new id is fine


def test_levels_put_each_segment_after_those_it_reads():
    assert dependency_levels(DEFINITIONS) == [["active", "rich"], ["rich_active"], ["rich_idle"]]


def test_a_change_affects_readers_of_the_column_and_their_readers():
    assert affected_segments(DEFINITIONS, {"txn_count_90d"}) == [
        "active",
        "rich_active",
        "rich_idle",
    ]
    assert affected_segments(DEFINITIONS, {"txn_count_30d"}) == []


def test_one_customer_gets_every_segment_in_order():
    record = {"financial_assets": 2_000_000, "txn_count_90d": 1}

    assert evaluate_segments(DEFINITIONS, record) == {"rich", "rich_idle"}


def test_segments_not_re_evaluated_keep_their_membership():
    record = {"financial_assets": 2_000_000, "txn_count_90d": 9}

    levels = dependency_levels(DEFINITIONS)  # the service caches these per definition set
    after = evaluate_segments(
        DEFINITIONS,
        record,
        current={"rich", "rich_idle"},
        only=affected_segments(DEFINITIONS, {"txn_count_90d"}, levels=levels),
        levels=levels,
    )

    assert after == {"rich", "active", "rich_active"}


def test_references_to_undefined_segments_are_not_memberships():
    definitions = define(
        orphan={"any": [ref("deleted"), {"field": "vip", "op": "eq", "value": True}]}
    )
    records = [{"vip": False}, {"vip": True}]

    assert [evaluate_segments(definitions, r) for r in records] == [frozenset(), {"orphan"}]
    assert evaluate_segments_frame(definitions, frame_of(records))["segment:orphan"].to_list() == [
        False,
        True,
    ]


def test_preview_counts_and_samples_members_of_an_unsaved_condition():
    records: list[dict[str, Any]] = [
        {"customer_id": f"c{i}", "financial_assets": 500_000 * i, "txn_count_90d": i % 3}
        for i in range(10)
    ]
    ids = pl.Series("customer_id", [r["customer_id"] for r in records])
    frame = frame_of(records).with_columns(ids)
    draft = parse_condition(
        {"all": [ref("rich_idle"), {"field": "age", "op": "exists", "value": False}]}
    )

    result = preview(draft, frame, definitions=DEFINITIONS, sample_size=3)

    idle_rich = [r["customer_id"] for r in records if r["financial_assets"] >= 1e6]
    assert result.count == len(idle_rich)  # txn_count_90d < 5 for everyone
    assert result.sample == tuple(idle_rich[:3])
