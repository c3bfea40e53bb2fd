"""Request and response models of rule segments."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from services.segmentation.handlers.segment_changes import ChangeSegment
from services.segmentation.handlers.segments import CreateSegment, MemberPage, SegmentView

CONDITION_HELP = (
    'A JSON condition: {"all": [...]}, {"any": [...]}, {"not": {...}}, '
    '{"field": "txn_count", "window": "90d", "op": "gte", "value": 5} or '
    '{"segment": "<segment id>", "op": "member"}.'
)
_EXAMPLE = {
    "all": [
        {"field": "tier", "op": "eq", "value": "private_banking"},
        {"field": "txn_count", "window": "90d", "op": "gte", "value": 5},
    ]
}


class SegmentCreate(BaseModel):
    """A new rule segment."""

    name: str = Field(min_length=1, max_length=128)
    description: str = Field(default="", max_length=2000)
    condition: dict[str, Any] = Field(description=CONDITION_HELP, examples=[_EXAMPLE])

    def to_command(self, *, created_by: str) -> CreateSegment:
        """The use case's command."""
        return CreateSegment(self.name, self.description, self.condition, created_by)


class SegmentChange(BaseModel):
    """New values for some of a segment's fields; the ones left out stay as they are."""

    name: str | None = Field(default=None, min_length=1, max_length=128)
    description: str | None = Field(default=None, max_length=2000)
    condition: dict[str, Any] | None = Field(default=None, description=CONDITION_HELP)

    def to_command(self, segment_id: str) -> ChangeSegment:
        """The use case's command."""
        return ChangeSegment(segment_id, self.name, self.description, self.condition)


class SegmentRead(BaseModel):
    """A rule segment and its current size."""

    id: str
    name: str
    description: str
    condition: dict[str, Any]
    created_at: dt.datetime
    created_by: str
    evaluated_at: dt.datetime | None = Field(description="Last evaluation over everyone.")
    member_count: int

    @classmethod
    def from_view(cls, view: SegmentView) -> SegmentRead:
        """The response for a segment."""
        s = view.segment
        return cls(
            id=s.id,
            name=s.name,
            description=s.description,
            condition=s.condition,
            created_at=s.created_at,
            created_by=s.created_by,
            evaluated_at=s.evaluated_at,
            member_count=view.members,
        )


class SegmentMembersPage(BaseModel):
    """One page of a segment's member ids, in id order."""

    segment_id: str
    customer_ids: list[str]
    next_cursor: str | None = Field(description="Pass as ``cursor`` for the next page.")

    @classmethod
    def from_page(cls, page: MemberPage) -> SegmentMembersPage:
        """The response for a page."""
        return cls(
            segment_id=page.segment_id,
            customer_ids=page.customer_ids,
            next_cursor=page.next_cursor,
        )


class SegmentPreview(BaseModel):
    """A condition to try before saving it."""

    condition: dict[str, Any] = Field(description=CONDITION_HELP, examples=[_EXAMPLE])


class SegmentPreviewRead(BaseModel):
    """How many customers the condition selects now, and some of them."""

    count: int
    sample: list[str]
