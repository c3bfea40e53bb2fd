"""Property-style checks: per-customer and vectorized evaluation give identical membership."""

import random

import pytest

from services.segmentation.domain.rules import (
    Node,
    evaluate,
    evaluate_frame,
    evaluate_segments,
    evaluate_segments_frame,
    parse_condition,
    segment_column,
    to_json,
)
from tests.unit.segmentation.rules_support import (
    frame_of,
    random_condition,
    random_record,
)

CUSTOMERS = 120


@pytest.mark.parametrize("seed", range(40))
def test_random_conditions_give_the_same_members_both_ways(seed):
    rng = random.Random(seed)
    records = [random_record(rng) for _ in range(CUSTOMERS)]
    frame = frame_of(records)

    for _ in range(10):
        node = parse_condition(random_condition(rng))
        expected = [evaluate(node, record) for record in records]
        assert evaluate_frame(node, frame).to_list() == expected, to_json(node)


@pytest.mark.parametrize("seed", range(15))
def test_random_segment_sets_give_the_same_members_both_ways(seed):
    rng = random.Random(1000 + seed)
    records = [random_record(rng) for _ in range(CUSTOMERS)]
    definitions: dict[str, Node] = {}
    for i in range(6):  # each may refer to the ones defined before it, so no cycle
        raw = random_condition(rng, segments=tuple(definitions))
        definitions[f"s{i}"] = parse_condition(raw, known_segments=definitions)

    columns = evaluate_segments_frame(definitions, frame_of(records))

    for row, record in enumerate(records):
        expected = evaluate_segments(definitions, record)
        got = {s for s in definitions if columns[segment_column(s)][row]}
        assert got == expected, row


def test_random_conditions_are_not_trivial():
    """Guard the generator: the conditions above must select some customers and not others."""
    rng = random.Random(7)
    records = [random_record(rng) for _ in range(CUSTOMERS)]
    mixed = 0
    for _ in range(100):
        node = parse_condition(random_condition(rng))
        selected = sum(evaluate(node, record) for record in records)
        mixed += 0 < selected < CUSTOMERS
    assert mixed > 30
