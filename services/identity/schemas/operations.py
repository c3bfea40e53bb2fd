"""Merges, history, reviews, the match model and the audit check."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from services.identity.schemas.records import EvidenceRead


class MergeIn(BaseModel):
    """Fold another customer into this one."""

    other_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(default="", max_length=200)


class UnmergeIn(BaseModel):
    """Undo the merge of ``restore_id`` into this customer."""

    restore_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(default="", max_length=200)


class MergeRead(BaseModel):
    """The outcome of a merge or an unmerge."""

    survivor_id: str
    other_id: str
    records_moved: int


class HistoryEntryRead(BaseModel):
    """One thing that happened to a customer."""

    id: int
    kind: str
    other_id: str | None = None
    detail: dict[str, Any]
    actor: str | None = None
    correlation_id: str | None = None
    occurred_at: dt.datetime


class HistoryPage(BaseModel):
    """History, newest first; pass ``next_cursor`` as ``before`` for older entries."""

    customer_id: str
    items: list[HistoryEntryRead]
    next_cursor: int | None = None


class ReviewRead(BaseModel):
    """A record pair waiting for (or given) a clerk's decision."""

    id: int
    status: str = Field(description="pending | linked | separated | obsolete")
    customer_id: str = Field(description="the customer the record was placed in")
    candidate_id: str = Field(description="the customer it may belong to")
    score: float | None = None
    probability: float | None = None
    reason: str
    evidence: list[EvidenceRead]
    created_at: dt.datetime
    decided_at: dt.datetime | None = None
    decided_by: str | None = None

    @classmethod
    def of(cls, row: Any) -> ReviewRead:
        """From a ``review`` row."""
        return cls.model_validate(row, from_attributes=True)


class ReviewPage(BaseModel):
    """Pending reviews, oldest first; pass ``next_cursor`` as ``cursor`` for more."""

    items: list[ReviewRead]
    next_cursor: str | None = None


class DecisionIn(BaseModel):
    """A clerk's decision on a review."""

    decision: Literal["link", "separate"]


class FitIn(BaseModel):
    """How much stored data a refit samples (defaults from the settings)."""

    sample_records: int | None = Field(default=None, ge=10, le=1_000_000)


class ModelRead(BaseModel):
    """The match model in use."""

    version: int
    prior: float
    link_threshold: float
    review_threshold: float
    fields: dict[str, Any]
    summary: dict[str, Any] = Field(default_factory=dict)


class AuditCheckRead(BaseModel):
    """Whether the audit log's hash chain is intact."""

    ok: bool
    rows: int
    head: str = Field(description="the last row hash; keep a copy outside the database")
    first_bad_seq: int | None = None
