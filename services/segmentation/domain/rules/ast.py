"""Typed syntax tree of a segment condition, as produced by `parse_condition`.

Semantics shared by both evaluators (per customer and vectorized): logic is two-valued. A
comparison on a missing value (absent, None/null, or float NaN) is false — ``ne`` and
``not_in`` included — and only ``exists`` looks at presence; ``not`` negates that boolean, so
``{"not": {"field": "age", "op": "gt", "value": 30}}`` holds for a customer without an age.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from services.segmentation.domain.vocabulary import Window

Scalar = str | float | bool


class Op(StrEnum):
    """Comparison operators of a condition leaf."""

    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LTE = "lte"
    GT = "gt"
    GTE = "gte"
    IN = "in"
    NOT_IN = "not_in"
    BETWEEN = "between"
    EXISTS = "exists"
    CONTAINS = "contains"
    MEMBER = "member"


class FieldKind(StrEnum):
    """Type of a catalogue field, which decides its operators and value checks."""

    NUMBER = "number"
    STRING = "string"
    ENUM = "enum"
    BOOL = "bool"
    SET = "set"  # a collection of strings (list column in polars)


@dataclass(frozen=True, slots=True)
class Compare:
    """``field [window] op value``; `value` is a tuple for in/not_in/between, a bool for exists."""

    field: str
    kind: FieldKind
    op: Op
    value: Scalar | tuple[Scalar, ...]
    window: Window | None = None

    @property
    def column(self) -> str:
        """Name of the record key / DataFrame column holding this field's values."""
        return column_name(self.field, self.window)


@dataclass(frozen=True, slots=True)
class SegmentRef:
    """Membership in another segment."""

    segment_id: str


@dataclass(frozen=True, slots=True)
class Not:
    """Negation of one condition."""

    child: Node


@dataclass(frozen=True, slots=True)
class AllOf:
    """Conjunction of one or more conditions."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Disjunction of one or more conditions."""

    children: tuple[Node, ...]


Node = AllOf | AnyOf | Not | Compare | SegmentRef


def column_name(field: str, window: Window | None) -> str:
    """Column of a field: ``txn_count`` with window ``90d`` lives in ``txn_count_90d``."""
    return field if window is None else f"{field}_{window.value}"


def segment_column(segment_id: str) -> str:
    """Column holding membership of a segment in vectorized evaluation."""
    return f"segment:{segment_id}"


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children."""
    yield node
    if isinstance(node, AllOf | AnyOf):
        for child in node.children:
            yield from walk(child)
    elif isinstance(node, Not):
        yield from walk(node.child)


def referenced_segments(node: Node) -> frozenset[str]:
    """Ids of the segments a condition refers to."""
    return frozenset(n.segment_id for n in walk(node) if isinstance(n, SegmentRef))


def referenced_columns(node: Node) -> frozenset[str]:
    """Record keys / columns a condition reads (segment references excluded)."""
    return frozenset(n.column for n in walk(node) if isinstance(n, Compare))


def to_json(node: Node) -> dict[str, Any]:
    """The canonical JSON form of a condition; `parse_condition` reads it back."""
    if isinstance(node, AllOf):
        return {"all": [to_json(child) for child in node.children]}
    if isinstance(node, AnyOf):
        return {"any": [to_json(child) for child in node.children]}
    if isinstance(node, Not):
        return {"not": to_json(node.child)}
    if isinstance(node, SegmentRef):
        return {"segment": node.segment_id, "op": Op.MEMBER.value}
    leaf: dict[str, Any] = {"field": node.field, "op": node.op.value}
    if node.window is not None:
        leaf["window"] = node.window.value
    leaf["value"] = list(node.value) if isinstance(node.value, tuple) else node.value
    return leaf
