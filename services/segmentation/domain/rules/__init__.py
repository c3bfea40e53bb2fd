"""Rule segments: a JSON condition language, its validation, and two equivalent evaluators.

`parse_condition` turns JSON into a typed tree (or raises `InvalidRuleError` listing every
problem with its path); `evaluate` answers for one customer's record as events arrive;
`to_expr` / `evaluate_frame` / `evaluate_segments_frame` answer for a whole DataFrame of
customers at once; `segments` orders segment-of-segment references and rejects cycles.
"""

from services.segmentation.domain.rules.ast import (
    AllOf,
    AnyOf,
    Compare,
    FieldKind,
    Node,
    Not,
    Op,
    SegmentRef,
    column_name,
    referenced_columns,
    referenced_segments,
    segment_column,
    to_json,
)
from services.segmentation.domain.rules.catalogue import DEFAULT_CATALOGUE, Catalogue, FieldSpec
from services.segmentation.domain.rules.frame import evaluate_frame, to_expr
from services.segmentation.domain.rules.parser import parse_condition, validate_condition
from services.segmentation.domain.rules.record import Record, evaluate
from services.segmentation.domain.rules.segments import (
    Preview,
    affected_segments,
    check_definition,
    dependency_levels,
    evaluate_segments,
    evaluate_segments_frame,
    find_cycle,
    preview,
)

__all__ = [
    "DEFAULT_CATALOGUE",
    "AllOf",
    "AnyOf",
    "Catalogue",
    "Compare",
    "FieldKind",
    "FieldSpec",
    "Node",
    "Not",
    "Op",
    "Preview",
    "Record",
    "SegmentRef",
    "affected_segments",
    "check_definition",
    "column_name",
    "dependency_levels",
    "evaluate",
    "evaluate_frame",
    "evaluate_segments",
    "evaluate_segments_frame",
    "find_cycle",
    "parse_condition",
    "preview",
    "referenced_columns",
    "referenced_segments",
    "segment_column",
    "to_expr",
    "to_json",
    "validate_condition",
]
