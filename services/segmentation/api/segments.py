"""Routes of rule segments."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from services.segmentation.api.deps import ContainerDep, UowDep
from services.segmentation.handlers import segment_changes, segments
from services.segmentation.schemas.segments import (
    SegmentChange,
    SegmentCreate,
    SegmentMembersPage,
    SegmentPreview,
    SegmentPreviewRead,
    SegmentRead,
)
from shared.web import IdempotencyKey, Principal, fingerprint, require, run_once

router = APIRouter(tags=["segments"])
SegmentId = Annotated[str, Path(min_length=1, max_length=64)]


@router.post(
    "/segments",
    status_code=201,
    response_model=SegmentRead,
    summary="Create a rule segment; every customer who meets it enters it at once",
    responses={409: {"description": "The name is taken."}, 422: {"description": "Bad rule."}},
)
async def create_segment(
    body: SegmentCreate,
    uow: UowDep,
    idempotency_key: IdempotencyKey = None,
    user: Principal = require("segments:write"),
) -> Response:
    """Create a segment (a retry with the same ``Idempotency-Key`` gets the first answer)."""

    async def action() -> tuple[int, SegmentRead]:
        view = await segments.create_segment(body.to_command(created_by=user.subject), uow=uow)
        return 201, SegmentRead.from_view(view)

    return await run_once(
        uow,
        key=idempotency_key,
        principal=user,
        request_hash=fingerprint("POST", "/v1/segments", body),
        action=action,
    )


@router.get("/segments", summary="Every rule segment, oldest first")
async def list_segments(
    uow: UowDep, user: Principal = require("segments:read")
) -> list[SegmentRead]:
    """The segments with their sizes."""
    async with uow:
        return [SegmentRead.from_view(v) for v in await segments.list_segments(uow=uow)]


@router.get("/segments/{segment_id}", summary="A rule segment and its size")
async def get_segment(
    segment_id: SegmentId, uow: UowDep, user: Principal = require("segments:read")
) -> SegmentRead:
    """The segment's definition and member count."""
    async with uow:
        return SegmentRead.from_view(await segments.get_segment(segment_id, uow=uow))


@router.get("/segments/{segment_id}/members", summary="The segment's members, page by page")
async def get_members(
    segment_id: SegmentId,
    uow: UowDep,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    user: Principal = require("segments:read"),
) -> SegmentMembersPage:
    """Member ids in id order; follow ``next_cursor`` until it is null."""
    async with uow:
        page = await segments.members(segment_id, uow=uow, cursor=cursor, limit=limit)
    return SegmentMembersPage.from_page(page)


@router.post(
    "/segments/preview",
    summary="How many customers a condition selects, and who (nothing is saved)",
)
async def preview_segment(
    body: SegmentPreview,
    uow: UowDep,
    container: ContainerDep,
    user: Principal = require("segments:read"),
) -> SegmentPreviewRead:
    """Evaluate a condition over every customer now."""
    async with uow:
        count, sample = await segments.preview_condition(
            body.condition, uow=uow, sample_size=container.settings.segment_sample_size
        )
    return SegmentPreviewRead(count=count, sample=sample)


@router.patch(
    "/segments/{segment_id}",
    response_model=SegmentRead,
    summary="Rename, describe or redefine a segment; a new condition takes effect at once",
    responses={
        404: {"description": "No such segment."},
        409: {"description": "The new name is taken."},
        422: {"description": "Bad rule."},
    },
)
async def change_segment(
    segment_id: SegmentId,
    body: SegmentChange,
    uow: UowDep,
    user: Principal = require("segments:write"),
) -> SegmentRead:
    """Customers who now meet it enter, those who no longer do exit (with their events)."""
    async with uow:
        view = await segment_changes.change_segment(body.to_command(segment_id), uow=uow)
        await uow.commit()
    return SegmentRead.from_view(view)


@router.delete(
    "/segments/{segment_id}",
    status_code=204,
    summary="Delete a segment; every member exits it",
    responses={
        404: {"description": "No such segment."},
        409: {"description": "Another segment reads this one."},
    },
)
async def delete_segment(
    segment_id: SegmentId, uow: UowDep, user: Principal = require("segments:write")
) -> Response:
    """Members get ``segment.exited`` events; segments that read it must be changed first."""
    async with uow:
        await segment_changes.delete_segment(segment_id, uow=uow)
        await uow.commit()
    return Response(status_code=204)
