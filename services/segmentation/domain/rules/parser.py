"""Parsing of a JSON segment condition into the typed tree, with every problem reported.

A condition is one object with exactly one of these keys::

    {"all": [c, ...]}   {"any": [c, ...]}   {"not": c}
    {"field": "txn_count", "window": "90d", "op": "gte", "value": 5}
    {"segment": "<segment id>", "op": "member"}

Validation does not stop at the first problem: `validate_condition` returns them all, each
with the path of the offending part (``all[1].any[0].value``; the empty path is the root).
"""

from __future__ import annotations

from collections.abc import Container, Mapping

from services.segmentation.domain.errors import InvalidRuleError, RuleIssue
from services.segmentation.domain.rules.ast import AllOf, AnyOf, Node, Not, Op, SegmentRef
from services.segmentation.domain.rules.catalogue import DEFAULT_CATALOGUE, Catalogue
from services.segmentation.domain.rules.checks import join, json_type, parse_compare, unknown_keys

DEFAULT_MAX_DEPTH = 8
DEFAULT_MAX_NODES = 256
_NODE_KEYS = ("all", "any", "not", "field", "segment")


def parse_condition(
    raw: object,
    *,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
    known_segments: Container[str] | None = None,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> Node:
    """The condition as a tree; raises `InvalidRuleError` listing every problem."""
    parser = _Parser(catalogue, known_segments, max_depth, max_nodes)
    node = parser.parse(raw, "", 1)
    if parser.issues or node is None:
        raise InvalidRuleError(parser.issues or [RuleIssue("", "invalid condition")])
    return node


def validate_condition(
    raw: object,
    *,
    catalogue: Catalogue = DEFAULT_CATALOGUE,
    known_segments: Container[str] | None = None,
    max_depth: int = DEFAULT_MAX_DEPTH,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> list[RuleIssue]:
    """Every problem in the condition (empty when it is valid)."""
    parser = _Parser(catalogue, known_segments, max_depth, max_nodes)
    parser.parse(raw, "", 1)
    return parser.issues


class _Parser:
    """Recursive descent over the JSON, collecting issues instead of raising."""

    def __init__(
        self,
        catalogue: Catalogue,
        known_segments: Container[str] | None,
        max_depth: int,
        max_nodes: int,
    ) -> None:
        self.catalogue = catalogue
        self.known_segments = known_segments
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.nodes = 0
        self.issues: list[RuleIssue] = []

    def report(self, path: str, message: str) -> None:
        """Record one problem."""
        self.issues.append(RuleIssue(path, message))

    def parse(self, raw: object, path: str, depth: int) -> Node | None:
        """The node at `path`, or None when it (or a part of it) is invalid."""
        self.nodes += 1
        if self.nodes == self.max_nodes + 1:
            self.report("", f"condition too large: over {self.max_nodes} parts")
        if self.nodes > self.max_nodes:
            return None
        if depth > self.max_depth:
            self.report(path, f"nesting too deep: at most {self.max_depth} levels")
            return None
        if not isinstance(raw, Mapping):
            self.report(path, f"expected a condition object, got {json_type(raw)}")
            return None
        return self._dispatch(raw, path, depth)

    def _dispatch(self, raw: Mapping[str, object], path: str, depth: int) -> Node | None:
        present = [key for key in _NODE_KEYS if key in raw]
        if len(present) != 1:
            expected = "exactly one of " + ", ".join(f"'{key}'" for key in _NODE_KEYS)
            found = f"; found {', '.join(present)}" if present else ""
            self.report(path, f"a condition needs {expected}{found}")
            return None
        key = present[0]
        if key in ("all", "any"):
            return self._group(raw, key, path, depth)
        if key == "not":
            return self._negation(raw, path, depth)
        if key == "segment":
            return self._segment(raw, path)
        return parse_compare(raw, path, self.catalogue, self.issues)

    def _group(self, raw: Mapping[str, object], key: str, path: str, depth: int) -> Node | None:
        self.issues.extend(unknown_keys(raw, frozenset({key}), path))
        items, here = raw[key], join(path, key)
        if not isinstance(items, list) or not items:
            self.report(here, f"'{key}' takes a non-empty array of conditions")
            return None
        children = [self.parse(item, f"{here}[{i}]", depth + 1) for i, item in enumerate(items)]
        kept = tuple(child for child in children if child is not None)
        if len(kept) != len(children):
            return None
        return AllOf(kept) if key == "all" else AnyOf(kept)

    def _negation(self, raw: Mapping[str, object], path: str, depth: int) -> Node | None:
        self.issues.extend(unknown_keys(raw, frozenset({"not"}), path))
        child = self.parse(raw["not"], join(path, "not"), depth + 1)
        return None if child is None else Not(child)

    def _segment(self, raw: Mapping[str, object], path: str) -> Node | None:
        before = len(self.issues)
        self.issues.extend(unknown_keys(raw, frozenset({"segment", "op"}), path))
        segment_id = raw["segment"]
        if raw.get("op") != Op.MEMBER.value:
            message = f"a segment reference takes op 'member', got {raw.get('op')!r}"
            self.report(join(path, "op"), message)
        if not isinstance(segment_id, str) or not segment_id:
            got = "an empty string" if segment_id == "" else json_type(segment_id)
            self.report(join(path, "segment"), f"segment must be a non-empty string id, got {got}")
        elif self.known_segments is not None and segment_id not in self.known_segments:
            self.report(join(path, "segment"), f"unknown segment '{segment_id}'")
        if len(self.issues) > before or not isinstance(segment_id, str):
            return None
        return SegmentRef(segment_id)
