"""Evaluation of a condition against one customer's record, for membership kept as events arrive.

The record maps column names (see `Compare.column`) to values: numbers, strings (or StrEnum
members), booleans, and collections of strings for set fields. Absent keys, None and float NaN
are missing values; see `rules.ast` for the two-valued semantics both evaluators share.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Container, Mapping
from typing import SupportsFloat

from services.segmentation.domain.rules.ast import (
    AllOf,
    AnyOf,
    Compare,
    FieldKind,
    Node,
    Not,
    Op,
    Scalar,
    SegmentRef,
)

Record = Mapping[str, object]


def evaluate(node: Node, record: Record, memberships: Container[str] = frozenset()) -> bool:
    """Whether a customer meets the condition; `memberships` are the segments they are in."""
    if isinstance(node, AllOf):
        return all(evaluate(child, record, memberships) for child in node.children)
    if isinstance(node, AnyOf):
        return any(evaluate(child, record, memberships) for child in node.children)
    if isinstance(node, Not):
        return not evaluate(node.child, record, memberships)
    if isinstance(node, SegmentRef):
        return node.segment_id in memberships
    return _compare(node, record.get(node.column))


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _compare(leaf: Compare, value: object) -> bool:
    if leaf.op is Op.EXISTS:
        return (not _missing(value)) is leaf.value
    if _missing(value):
        return False
    if leaf.kind is FieldKind.NUMBER:
        return isinstance(value, SupportsFloat) and _compare_number(leaf, float(value))
    if leaf.kind is FieldKind.SET:
        return isinstance(value, Collection) and leaf.value in value
    return _compare_equality(leaf.op, value, leaf.value)


def _compare_number(leaf: Compare, x: float) -> bool:
    if isinstance(leaf.value, tuple):
        targets = [float(v) for v in leaf.value]
        if leaf.op is Op.BETWEEN:
            return targets[0] <= x <= targets[1]
        return (x in targets) is (leaf.op is Op.IN)
    target = float(leaf.value)
    if leaf.op is Op.LT:
        return x < target
    if leaf.op is Op.LTE:
        return x <= target
    if leaf.op is Op.GT:
        return x > target
    if leaf.op is Op.GTE:
        return x >= target
    return (x == target) is (leaf.op is Op.EQ)


def _compare_equality(op: Op, value: object, target: Scalar | tuple[Scalar, ...]) -> bool:
    if isinstance(target, tuple):
        return (value in target) is (op is Op.IN)
    return bool(value == target) is (op is Op.EQ)
