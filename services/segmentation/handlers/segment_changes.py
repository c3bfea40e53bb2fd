"""Changing and deleting rule segments, with the memberships and events that follow.

A changed condition is evaluated over everyone at once, together with every segment that reads
the changed one (directly or through others), so their members stay consistent; whoever enters
or leaves gets ``segment.entered`` / ``.exited``. A segment that others read cannot be deleted
until they stop reading it; deleting one takes everyone out of it with ``exited`` events.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from services.segmentation.adapters.repositories import SegmentRow
from services.segmentation.adapters.sql import hold_valuation_lock
from services.segmentation.adapters.uow import SegmentationUoW
from services.segmentation.domain import publication
from services.segmentation.domain.rules import (
    Node,
    check_definition,
    evaluate_segments_frame,
    parse_condition,
    referenced_segments,
    segment_column,
)
from services.segmentation.handlers.errors import domain_errors
from services.segmentation.handlers.publishing import publish_membership_changes
from services.segmentation.handlers.segments import SegmentView, get_segment, valued_population
from services.segmentation.handlers.valuation import load_context
from shared.errors import Conflict, NotFound


@dataclass(frozen=True, slots=True)
class ChangeSegment:
    """New values for some of a segment's fields (``None`` keeps the field as it is)."""

    segment_id: str
    name: str | None = None
    description: str | None = None
    condition: dict[str, Any] | None = None


async def change_segment(command: ChangeSegment, *, uow: SegmentationUoW) -> SegmentView:
    """Apply the change; a new condition re-evaluates the segment and those reading it."""
    await hold_valuation_lock(uow.session, exclusive=True)
    row = await _existing(uow, command.segment_id)
    renamed = command.name is not None and command.name != row.name
    if renamed and await uow.segments.by_name(str(command.name)) is not None:
        raise Conflict(f"a segment named {command.name!r} exists already")
    changed = dataclasses.replace(
        row,
        name=row.name if command.name is None else command.name,
        description=row.description if command.description is None else command.description,
    )
    if command.condition is not None:
        changed = dataclasses.replace(changed, condition=command.condition, evaluated_at=uow.now())
        await _reevaluate(uow, changed)
    await uow.segments.replace(changed)
    return await get_segment(changed.id, uow=uow)


async def delete_segment(segment_id: str, *, uow: SegmentationUoW) -> None:
    """Take every member out (with ``exited`` events) and forget the segment."""
    await hold_valuation_lock(uow.session, exclusive=True)
    row = await _existing(uow, segment_id)
    context = await load_context(uow)
    readers = sorted(
        context.names[other]
        for other, node in context.definitions.items()
        if segment_id in referenced_segments(node)
    )
    if readers:
        raise Conflict(f"segment {row.name!r} is read by {', '.join(readers)}; change those first")
    exited = publication.pair_frame(sorted(await uow.segments.member_pairs([segment_id])))
    await uow.segments.remove(segment_id)
    await publish_membership_changes(
        uow, entered=exited.clear(), exited=exited, names={segment_id: row.name}
    )


async def _existing(uow: SegmentationUoW, segment_id: str) -> SegmentRow:
    row = await uow.segments.get(segment_id)
    if row is None:
        raise NotFound(f"no segment {segment_id!r}")
    return row


async def _reevaluate(uow: SegmentationUoW, row: SegmentRow) -> None:
    """Evaluate the changed segment and its readers over everyone; apply the differences."""
    context = await load_context(uow)
    others = {k: v for k, v in context.definitions.items() if k != row.id}
    with domain_errors("condition"):
        node = parse_condition(row.condition, known_segments=others.keys())
        check_definition(row.id, node, others)
    definitions = {**others, row.id: node}
    affected = _readers_of(row.id, definitions) | {row.id}
    valued = await valued_population(uow, context)
    members = evaluate_segments_frame(definitions, valued)
    new = publication.memberships(
        valued["customer_id"], members.select(segment_column(s) for s in sorted(affected))
    )
    old = publication.pair_frame(sorted(await uow.segments.member_pairs(affected)))
    changes = publication.membership_changes(old, new)
    await uow.values.enter(changes.entered.rows(), at=uow.now())
    await uow.values.leave(changes.exited.rows())
    names = {**context.names, row.id: row.name}
    await publish_membership_changes(
        uow, entered=changes.entered, exited=changes.exited, names=names
    )


def _readers_of(segment_id: str, definitions: dict[str, Node]) -> set[str]:
    """Segments that read ``segment_id``, directly or through other segments."""
    found: set[str] = set()
    todo = [segment_id]
    while todo:
        target = todo.pop()
        for other, node in definitions.items():
            if other not in found and target in referenced_segments(node):
                found.add(other)
                todo.append(other)
    return found
