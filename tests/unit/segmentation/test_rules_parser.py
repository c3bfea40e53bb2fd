from typing import Any

import pytest

from services.segmentation.domain.errors import InvalidRuleError
from services.segmentation.domain.rules import (
    DEFAULT_CATALOGUE,
    AllOf,
    AnyOf,
    Compare,
    FieldKind,
    FieldSpec,
    Not,
    Op,
    SegmentRef,
    parse_condition,
    referenced_columns,
    referenced_segments,
    to_json,
    validate_condition,
)
from services.segmentation.domain.vocabulary import Window

EXAMPLE = {
    "all": [
        {"field": "tier", "op": "eq", "value": "private_banking"},
        {
            "any": [
                {"field": "categories", "op": "contains", "value": "gold"},
                {"field": "rfm_code", "op": "in", "value": ["555", "545"]},
            ]
        },
        {"not": {"field": "lifecycle_stage", "op": "in", "value": ["decline", "terminated"]}},
        {"field": "txn_count", "window": "90d", "op": "gte", "value": 5},
        {"field": "p_alive", "op": "between", "value": [0.2, 1]},
        {"field": "age", "op": "exists"},
        {"segment": "seg-1", "op": "member"},
    ]
}


def issues(raw, **kwargs):
    return [(issue.path, issue.message) for issue in validate_condition(raw, **kwargs)]


def only_issue(raw, **kwargs):
    found = issues(raw, **kwargs)
    assert len(found) == 1, found
    return found[0]


def test_a_valid_condition_parses_into_a_typed_tree():
    node = parse_condition(EXAMPLE, known_segments={"seg-1"})

    assert isinstance(node, AllOf)
    tier, either, negation, count, p_alive, age, segment = node.children
    assert tier == Compare("tier", FieldKind.ENUM, Op.EQ, "private_banking")
    assert isinstance(either, AnyOf)
    assert isinstance(negation, Not)
    assert count == Compare("txn_count", FieldKind.NUMBER, Op.GTE, 5.0, Window.D90)
    assert count.column == "txn_count_90d"
    assert isinstance(p_alive, Compare)
    assert isinstance(age, Compare)
    assert p_alive.value == (0.2, 1.0)
    assert age.value is True
    assert segment == SegmentRef("seg-1")


def test_the_canonical_json_parses_back_to_the_same_tree():
    node = parse_condition(EXAMPLE)

    assert parse_condition(to_json(node)) == node


def test_references_are_listed():
    node = parse_condition(EXAMPLE)

    assert referenced_segments(node) == {"seg-1"}
    assert "txn_count_90d" in referenced_columns(node)
    assert "categories" in referenced_columns(node)


@pytest.mark.parametrize(
    "raw, path, fragment",
    [
        ({"field": "tierr", "op": "eq", "value": "mass"}, "field", "did you mean 'tier'"),
        ({"field": "tier", "op": "lt", "value": "mass"}, "op", "does not apply to 'tier'"),
        ({"field": "tier", "op": "like", "value": "m"}, "op", "unknown op 'like'"),
        ({"field": "tier", "op": "eq", "value": "gold"}, "value", "not a valid 'tier'"),
        ({"field": "age", "op": "gt", "value": "30"}, "value", "compares with a number"),
        ({"field": "age", "op": "gt", "value": True}, "value", "got boolean"),
        ({"field": "vip", "op": "eq", "value": 1}, "value", "compares with a boolean"),
        ({"field": "age", "op": "gt"}, "value", "needs a value"),
        ({"field": "age", "op": "exists", "value": "yes"}, "value", "true or false"),
        ({"field": "age", "op": "between", "value": [40, 30]}, "value", "low <= high"),
        ({"field": "age", "op": "between", "value": [1]}, "value", "[low, high]"),
        ({"field": "age", "op": "in", "value": []}, "value", "array of 1 to"),
        ({"field": "age", "op": "in", "value": [1, "x"]}, "value[1]", "compares with a number"),
        ({"field": "rfm_r", "op": "eq", "value": 6}, "value", "never above 5"),
        ({"field": "rfm_code", "op": "eq", "value": "560"}, "value", "must match"),
        ({"field": "categories", "op": "contains", "value": "vip"}, "value", "not a valid"),
        ({"field": "categories", "op": "eq", "value": "gold"}, "op", "use exists, contains"),
        ({"field": "txn_count", "op": "gt", "value": 1}, "window", "needs a window"),
        ({"field": "txn_count", "window": "7d", "op": "gt", "value": 1}, "window", "'7d'"),
        ({"field": "tier", "window": "90d", "op": "eq", "value": "mass"}, "window", "no window"),
        ({"field": "tier", "op": "eq", "value": "mass", "limit": 3}, "limit", "unknown key"),
        ({"segment": "s", "op": "eq"}, "op", "takes op 'member'"),
        ({"segment": "", "op": "member"}, "segment", "empty string"),
        ({"all": []}, "all", "non-empty array"),
        ({"any": {"field": "age"}}, "any", "non-empty array"),
        ({"all": [{"field": "age", "op": "exists"}], "any": []}, "", "exactly one of"),
        ({"op": "eq"}, "", "exactly one of"),
        ("tier = mass", "", "expected a condition object, got string"),
    ],
)
def test_each_problem_is_reported_at_its_path(raw, path, fragment):
    found_path, message = only_issue(raw)

    assert found_path == path
    assert fragment in message


def test_paths_locate_problems_in_nested_conditions():
    raw = {
        "all": [
            {"field": "age", "op": "exists"},
            {"any": [{"field": "tier", "op": "eq", "value": 3}]},
            {"not": {"field": "nope", "op": "eq", "value": 1}},
        ]
    }

    assert [path for path, _ in issues(raw)] == ["all[1].any[0].value", "all[2].not.field"]


def test_every_problem_is_reported_not_just_the_first():
    raw = {"any": [{"field": "nope"}, {"field": "age", "op": "gt", "value": "x"}, 3]}

    paths = [path for path, _ in issues(raw)]

    assert paths == ["any[0].field", "any[0].op", "any[1].value", "any[2]"]


def test_parse_raises_with_the_issues():
    with pytest.raises(InvalidRuleError) as caught:
        parse_condition({"field": "tier", "op": "eq", "value": "gold"})

    assert [issue.path for issue in caught.value.issues] == ["value"]
    assert "value: 'gold' is not a valid 'tier'" in str(caught.value)


def test_nesting_too_deep_is_refused():
    raw: dict[str, Any] = {"field": "age", "op": "exists"}
    for _ in range(8):
        raw = {"not": raw}

    path, message = only_issue(raw)

    assert path == "not." * 7 + "not"
    assert "nesting too deep" in message
    assert issues({"not": {"not": {"field": "age", "op": "exists"}}}) == []


def test_an_oversized_condition_is_refused():
    raw = {"any": [{"field": "age", "op": "gt", "value": i} for i in range(300)]}

    assert issues(raw) == [("", "condition too large: over 256 parts")]


def test_unknown_segments_are_refused_when_the_known_ones_are_given():
    raw = {"segment": "ghost", "op": "member"}

    assert only_issue(raw, known_segments={"seg-1"}) == ("segment", "unknown segment 'ghost'")
    assert issues(raw) == []


def test_a_catalogue_can_declare_more_fields():
    catalogue = DEFAULT_CATALOGUE.with_fields(
        FieldSpec("wechat_follower", FieldKind.BOOL, "follows the bank's WeChat account")
    )
    raw = {"field": "wechat_follower", "op": "eq", "value": True}

    assert issues(raw) != []
    assert issues(raw, catalogue=catalogue) == []


def test_every_catalogue_field_has_its_columns():
    columns = {c for spec in DEFAULT_CATALOGUE for c in spec.columns()}

    assert {"txn_count_30d", "contribution_365d", "fee_income_all", "tier"} <= columns
