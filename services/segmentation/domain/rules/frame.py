"""Compilation of a condition to a polars expression, for full recomputes and previews.

Every leaf is filled to a non-null boolean (missing → false, float NaN read as missing), so
``not``, ``all`` and ``any`` work on plain booleans and the answers equal `record.evaluate`'s.
A column the frame lacks is read as all-missing, as an absent record key is.
"""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from services.segmentation.domain.rules.ast import (
    AllOf,
    AnyOf,
    Compare,
    FieldKind,
    Node,
    Not,
    Op,
    SegmentRef,
    segment_column,
    walk,
)

_DTYPES: dict[FieldKind, pl.DataType] = {
    FieldKind.NUMBER: pl.Float64(),
    FieldKind.STRING: pl.String(),
    FieldKind.ENUM: pl.String(),
    FieldKind.BOOL: pl.Boolean(),
    FieldKind.SET: pl.List(pl.String()),
}


def to_expr(node: Node) -> pl.Expr:
    """A boolean, never-null expression equivalent to the condition."""
    if isinstance(node, AllOf):
        return pl.all_horizontal([to_expr(child) for child in node.children])
    if isinstance(node, AnyOf):
        return pl.any_horizontal([to_expr(child) for child in node.children])
    if isinstance(node, Not):
        return ~to_expr(node.child)
    if isinstance(node, SegmentRef):
        return pl.col(segment_column(node.segment_id)).fill_null(False)
    return _leaf(node).fill_null(False)


def _leaf(leaf: Compare) -> pl.Expr:
    column = pl.col(leaf.column)
    if leaf.kind is FieldKind.NUMBER:
        column = column.cast(pl.Float64).fill_nan(None)
    if leaf.op is Op.EXISTS:
        return column.is_not_null() if leaf.value else column.is_null()
    if leaf.op is Op.CONTAINS:
        return column.list.contains(pl.lit(leaf.value, dtype=pl.String))
    if isinstance(leaf.value, tuple):
        if leaf.op is Op.BETWEEN:
            return column.is_between(leaf.value[0], leaf.value[1], closed="both")
        values = pl.Series(values=list(leaf.value), dtype=_DTYPES[leaf.kind])
        found = column.is_in(values.implode())
        return found if leaf.op is Op.IN else ~found
    return _compare(column, leaf.op, pl.lit(leaf.value, dtype=_DTYPES[leaf.kind]))


def _compare(column: pl.Expr, op: Op, value: pl.Expr) -> pl.Expr:
    if op is Op.EQ:
        return column == value
    if op is Op.NE:
        return column != value
    if op is Op.LT:
        return column < value
    if op is Op.LTE:
        return column <= value
    if op is Op.GT:
        return column > value
    return column >= value


def missing_columns(nodes: Iterable[Node], columns: Iterable[str]) -> dict[str, pl.DataType]:
    """Columns the conditions read that a frame lacks, with the dtype to fill them with."""
    have = set(columns)
    wanted: dict[str, pl.DataType] = {}
    for node in nodes:
        for part in walk(node):
            if isinstance(part, Compare) and part.column not in have:
                wanted[part.column] = _DTYPES[part.kind]
            elif isinstance(part, SegmentRef) and segment_column(part.segment_id) not in have:
                wanted[segment_column(part.segment_id)] = pl.Boolean()
    return wanted


def with_missing_columns(frame: pl.LazyFrame, nodes: Iterable[Node]) -> pl.LazyFrame:
    """The frame with every column the conditions read, absent ones as all-null."""
    missing = missing_columns(nodes, frame.collect_schema().names())
    if not missing:
        return frame
    return frame.with_columns(pl.lit(None, dtype=dtype).alias(n) for n, dtype in missing.items())


def evaluate_frame(node: Node, frame: pl.DataFrame) -> pl.Series:
    """Membership of every row of `frame` (one row per customer), as a boolean Series."""
    lazy = with_missing_columns(frame.lazy(), [node])
    return lazy.select(to_expr(node).alias("member")).collect().to_series()
