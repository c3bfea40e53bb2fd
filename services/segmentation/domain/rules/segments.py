"""Segments that refer to segments: cycle detection, evaluation order, and evaluation of a set.

`definitions` maps a segment id to its parsed condition. A reference to an id that is not
defined counts as "not a member" (the parser's ``known_segments`` rejects it at save time).
Evaluation goes in dependency order, so a segment is computed after every segment it reads;
the vectorized form computes each dependency level in one polars pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from services.segmentation.domain.errors import SegmentCycleError
from services.segmentation.domain.rules.ast import (
    Node,
    referenced_columns,
    referenced_segments,
    segment_column,
)
from services.segmentation.domain.rules.frame import to_expr, with_missing_columns
from services.segmentation.domain.rules.record import Record, evaluate

Definitions = Mapping[str, Node]


def find_cycle(definitions: Definitions) -> tuple[str, ...] | None:
    """A loop of segment references, closed (``a, b, a``), or None when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in sorted(definitions):
        if state.get(root):
            continue
        path, stack = [root], [iter(_deps(definitions, root))]
        state[root] = 1
        while stack:
            child = next(stack[-1], None)
            if child is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(child) == 1:
                return (*path[path.index(child) :], child)
            elif not state.get(child):
                state[child] = 1
                path.append(child)
                stack.append(iter(_deps(definitions, child)))
    return None


def _deps(definitions: Definitions, segment_id: str) -> list[str]:
    node = definitions.get(segment_id)
    found = referenced_segments(node) if node is not None else frozenset()
    return sorted(s for s in found if s in definitions)


def check_definition(segment_id: str, node: Node, definitions: Definitions) -> None:
    """Raise `SegmentCycleError` if saving `node` as `segment_id` would close a loop."""
    cycle = find_cycle({**definitions, segment_id: node})
    if cycle is not None:
        raise SegmentCycleError(cycle)


def dependency_levels(definitions: Definitions) -> list[list[str]]:
    """Segment ids by level: level 0 reads no segment, level k only segments below k."""
    cycle = find_cycle(definitions)
    if cycle is not None:
        raise SegmentCycleError(cycle)
    deps = {s: _deps(definitions, s) for s in definitions}
    readers: dict[str, list[str]] = {s: [] for s in definitions}
    for segment_id, needed in deps.items():
        for dep in needed:
            readers[dep].append(segment_id)
    waiting = {s: len(needed) for s, needed in deps.items()}
    levels: list[list[str]] = []
    current = sorted(s for s, n in waiting.items() if n == 0)
    while current:  # Kahn's algorithm in waves: a wave is one level
        levels.append(current)
        released = []
        for segment_id in current:
            for reader in readers[segment_id]:
                waiting[reader] -= 1
                if waiting[reader] == 0:
                    released.append(reader)
        current = sorted(released)
    return levels


def affected_segments(
    definitions: Definitions,
    changed_columns: Iterable[str],
    *,
    levels: Sequence[Sequence[str]] | None = None,
) -> list[str]:
    """Segments to re-evaluate after `changed_columns` changed, in dependency order.

    `levels` is `dependency_levels(definitions)`, computed here when not given (cache it).
    """
    changed = set(changed_columns)
    hit: dict[str, None] = {}  # an ordered set
    for level in dependency_levels(definitions) if levels is None else levels:
        for segment_id in level:
            node = definitions[segment_id]
            if referenced_columns(node) & changed or referenced_segments(node) & hit.keys():
                hit[segment_id] = None
    return list(hit)


def evaluate_segments(
    definitions: Definitions,
    record: Record,
    *,
    current: Iterable[str] = (),
    only: Iterable[str] | None = None,
    levels: Sequence[Sequence[str]] | None = None,
) -> frozenset[str]:
    """Segments one customer is in after re-evaluating `only` (default: all) in order.

    `current` is the customer's membership so far; segments not re-evaluated keep theirs.
    `levels` is `dependency_levels(definitions)`, computed here when not given (cache it).
    """
    wanted = None if only is None else set(only)
    before = set(current)
    members: set[str] = set()
    for level in dependency_levels(definitions) if levels is None else levels:
        for segment_id in level:
            if wanted is None or segment_id in wanted:
                keep = evaluate(definitions[segment_id], record, members)
            else:
                keep = segment_id in before
            if keep:
                members.add(segment_id)
    return frozenset(members)


def evaluate_segments_frame(definitions: Definitions, frame: pl.DataFrame) -> pl.DataFrame:
    """One boolean column per segment (named by `segment_column`), rows aligned with `frame`."""
    lazy = with_missing_columns(frame.lazy(), definitions.values())
    names: list[str] = []
    for level in dependency_levels(definitions):
        names += [segment_column(s) for s in level]
        lazy = lazy.with_columns(to_expr(definitions[s]).alias(segment_column(s)) for s in level)
    return lazy.select(names).collect()


@dataclass(frozen=True, slots=True)
class Preview:
    """How many customers a condition selects, and a sample of who."""

    count: int
    sample: tuple[object, ...]


def preview(
    node: Node,
    frame: pl.DataFrame,
    *,
    definitions: Definitions,
    id_column: str = "customer_id",
    sample_size: int = 20,
) -> Preview:
    """Answer "how many, and who" for a condition not saved yet."""
    needed = _closure(referenced_segments(node), definitions)
    members = evaluate_segments_frame({s: definitions[s] for s in needed}, frame)
    lazy = with_missing_columns(frame.with_columns(members.get_columns()).lazy(), [node])
    selected = lazy.filter(to_expr(node)).select(id_column).collect().to_series()
    return Preview(count=selected.len(), sample=tuple(selected.head(sample_size).to_list()))


def _closure(roots: Iterable[str], definitions: Definitions) -> set[str]:
    seen: set[str] = set()
    todo = [s for s in roots if s in definitions]
    while todo:
        segment_id = todo.pop()
        if segment_id not in seen:
            seen.add(segment_id)
            todo += _deps(definitions, segment_id)
    return seen
