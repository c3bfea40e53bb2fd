"""Rule segments: create (with first membership), read, list members, preview a condition.

Membership of every segment is kept current by settling (``handlers.valuation``) as events
arrive, and in full by the recompute; a new segment is evaluated over everyone at creation.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from typing import Any

import polars as pl

from services.segmentation.adapters.bulk import insert_frame
from services.segmentation.adapters.orm import segment_member
from services.segmentation.adapters.population import current_population
from services.segmentation.adapters.repositories import SegmentRow
from services.segmentation.adapters.sql import hold_valuation_lock
from services.segmentation.adapters.uow import SegmentationUoW
from services.segmentation.domain import publication
from services.segmentation.domain.rules import (
    Node,
    check_definition,
    evaluate_segments_frame,
    parse_condition,
    preview,
    referenced_segments,
    segment_column,
)
from services.segmentation.domain.valuation import valuate
from services.segmentation.handlers.errors import domain_errors
from services.segmentation.handlers.publishing import publish_membership_changes
from services.segmentation.handlers.valuation import Context, load_context
from shared.db.timestamps import instant
from shared.errors import Conflict, Invalid, NotFound


@dataclass(frozen=True, slots=True)
class CreateSegment:
    """A new rule segment."""

    name: str
    description: str
    condition: dict[str, Any]
    created_by: str


@dataclass(frozen=True, slots=True)
class SegmentView:
    """A segment and how many customers are in it."""

    segment: SegmentRow
    members: int


@dataclass(frozen=True, slots=True)
class MemberPage:
    """One page of a segment's members, in id order."""

    segment_id: str
    customer_ids: list[str]
    next_cursor: str | None


async def create_segment(command: CreateSegment, *, uow: SegmentationUoW) -> SegmentView:
    """Validate and store a segment, then put every customer who meets it in it."""
    await hold_valuation_lock(uow.session, exclusive=True)
    if await uow.segments.by_name(command.name) is not None:
        raise Conflict(f"a segment named {command.name!r} exists already")
    context = await load_context(uow)
    segment_id = f"seg-{uuid.uuid4().hex[:12]}"
    with domain_errors("condition"):
        node = parse_condition(command.condition, known_segments=context.definitions.keys())
        check_definition(segment_id, node, context.definitions)
    now = uow.now()
    row = SegmentRow(
        id=segment_id,
        name=command.name,
        description=command.description,
        condition=command.condition,
        created_at=now,
        created_by=command.created_by,
        evaluated_at=now,
    )
    await uow.segments.add(row)
    members = await _first_members(uow, context, segment_id, node)
    await _enter(uow, row, members)
    return SegmentView(row, len(members))


async def _enter(uow: SegmentationUoW, row: SegmentRow, customer_ids: list[str]) -> None:
    """Record the first members of a new segment and publish that they entered it."""
    entered = pl.DataFrame(
        {"segment_id": row.id, "customer_id": customer_ids}, schema=publication.PAIR_SCHEMA
    )
    await insert_frame(
        uow.session, segment_member, entered.with_columns(instant(uow.now()).alias("entered_at"))
    )
    await publish_membership_changes(
        uow, entered=entered, exited=entered.clear(), names={row.id: row.name}
    )


async def valued_population(uow: SegmentationUoW, context: Context) -> pl.DataFrame:
    """Every customer valued now against the last recompute's figures."""
    inputs, _ = await current_population(
        uow.session, today=uow.today(), rolled_on=await uow.figures.rolled_on()
    )
    inputs = publication.current_baselines(inputs, publication.period_of(uow.now()))
    return valuate(
        inputs, uow.params, today=uow.today(), model=context.model, figures=context.figures
    ).frame


async def _first_members(
    uow: SegmentationUoW, context: Context, segment_id: str, node: Node
) -> list[str]:
    valued = await valued_population(uow, context)
    definitions = {**_closure(node, context.definitions), segment_id: node}
    members = evaluate_segments_frame(definitions, valued)[segment_column(segment_id)]
    return valued["customer_id"].filter(members).to_list()


def _closure(node: Node, definitions: dict[str, Node]) -> dict[str, Node]:
    """The segments ``node`` reads, directly or through other segments."""
    found: dict[str, Node] = {}
    todo = list(referenced_segments(node))
    while todo:
        segment_id = todo.pop()
        if segment_id not in found and segment_id in definitions:
            found[segment_id] = definitions[segment_id]
            todo += referenced_segments(definitions[segment_id])
    return found


async def get_segment(segment_id: str, *, uow: SegmentationUoW) -> SegmentView:
    """A segment and its member count."""
    row = await uow.segments.get(segment_id)
    if row is None:
        raise NotFound(f"no segment {segment_id!r}")
    return SegmentView(row, await uow.segments.count_members(segment_id))


async def list_segments(*, uow: SegmentationUoW) -> list[SegmentView]:
    """Every segment with its member count, oldest first."""
    rows = await uow.segments.all()
    return [SegmentView(row, await uow.segments.count_members(row.id)) for row in rows]


async def members(
    segment_id: str, *, uow: SegmentationUoW, cursor: str | None, limit: int
) -> MemberPage:
    """A page of members after ``cursor`` (from the previous page), in customer id order."""
    await get_segment(segment_id, uow=uow)
    after = _decode_cursor(cursor) if cursor else None
    ids = await uow.segments.members(segment_id, after=after, limit=limit + 1)
    more = len(ids) > limit
    ids = ids[:limit]
    return MemberPage(segment_id, ids, _encode_cursor(ids[-1]) if more else None)


def _encode_cursor(customer_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": customer_id}).encode()).decode()


def _decode_cursor(cursor: str) -> str:
    try:
        after = json.loads(base64.urlsafe_b64decode(cursor.encode()))["after"]
    except (binascii.Error, ValueError, KeyError, TypeError) as exc:
        raise Invalid(
            "cursor is not one this service gave out",
            errors=[{"field": "cursor", "message": "use next_cursor from the previous page"}],
        ) from exc
    if not isinstance(after, str):
        raise Invalid("cursor is malformed", errors=[{"field": "cursor", "message": "bad value"}])
    return after


async def preview_condition(
    condition: dict[str, Any], *, uow: SegmentationUoW, sample_size: int
) -> tuple[int, list[str]]:
    """How many customers a condition selects now, and a sample of who (nothing is stored)."""
    context = await load_context(uow)
    with domain_errors("condition"):
        node = parse_condition(condition, known_segments=context.definitions.keys())
    valued = await valued_population(uow, context)
    result = preview(node, valued, definitions=context.definitions, sample_size=sample_size)
    return result.count, [str(customer) for customer in result.sample]
