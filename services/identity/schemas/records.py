"""Incoming source records and the answers of identify (one record, or a batch)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.identity.domain import MatchResult

_Text = Field(default=None, max_length=200)


class IdentifierIn(BaseModel):
    """One identifier as the source system holds it (normalized and checked on arrival)."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(max_length=32, examples=["id_card"])
    value: str = Field(max_length=256, examples=["11010519491231002X"])


class AddressIn(BaseModel):
    """A postal address in parts."""

    model_config = ConfigDict(extra="forbid")

    street_number: str | None = _Text
    line1: str | None = _Text
    line2: str | None = _Text
    locality: str | None = _Text
    postcode: str | None = _Text
    state: str | None = _Text


class AttributesIn(BaseModel):
    """What the source says about the person or organization."""

    model_config = ConfigDict(extra="forbid")

    given_name: str | None = _Text
    family_name: str | None = _Text
    full_name: str | None = _Text
    birth_date: str | None = Field(default=None, max_length=32, examples=["1949-12-31"])
    gender: str | None = Field(default=None, max_length=16)
    address: AddressIn | None = None


class SourceRecordIn(BaseModel):
    """One source system's record of one customer."""

    model_config = ConfigDict(extra="forbid")

    source_system: str = Field(min_length=1, max_length=64, examples=["core"])
    source_record_id: str = Field(min_length=1, max_length=128, examples=["42"])
    kind: str = Field(default="person", max_length=16, examples=["person"])
    attributes: AttributesIn = Field(default_factory=AttributesIn)
    identifiers: list[IdentifierIn] = Field(default_factory=list, max_length=50)
    branch: str | None = Field(default=None, max_length=64, examples=["0101"])
    channel: str | None = Field(default=None, max_length=64, examples=["counter"])
    observed_at: str | None = Field(default=None, max_length=64)

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape the domain's ``record_from_dict`` reads."""
        return self.model_dump()


class BatchIn(BaseModel):
    """Up to 10,000 records, resolved in order; each is validated on its own."""

    records: list[dict[str, Any]] = Field(min_length=1, max_length=10_000)


def record_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Pydantic's complaints about one batch record as (field, rule, message)."""
    return [
        {
            "field": ".".join(str(p) for p in err["loc"]) or "record",
            "rule": err["type"],
            "message": err["msg"],
        }
        for err in exc.errors()
    ]


class EvidenceRead(BaseModel):
    """One field's contribution to the score, in bits (log2 of the likelihood ratio)."""

    field: str
    level: str
    weight: float


class IdentifyRead(BaseModel):
    """The answer for one record."""

    customer_id: str
    decision: str = Field(description="linked | created | review")
    record_status: str = Field(description="new | updated | unchanged")
    score: float | None = None
    probability: float | None = None
    reason: str
    evidence: list[EvidenceRead] = Field(default_factory=list)
    candidate_id: str | None = Field(default=None, description="the suggested customer")
    review_id: int | None = None
    model_version: int | None = None

    @classmethod
    def build(
        cls,
        *,
        customer_id: str,
        decision: str,
        record_status: str,
        result: MatchResult,
        review_id: int | None,
        model_version: int | None,
    ) -> IdentifyRead:
        """From a handler's outcome (trusted values: built without re-validation)."""
        evidence = [
            EvidenceRead.model_construct(field=e.field, level=e.level, weight=e.weight)
            for e in result.evidence
        ]
        return cls.model_construct(
            customer_id=customer_id,
            decision=decision,
            record_status=record_status,
            score=result.score,
            probability=result.probability,
            reason=result.reason,
            evidence=evidence,
            candidate_id=result.customer_id if decision == "review" else None,
            review_id=review_id,
            model_version=model_version,
        )


class ErrorRead(BaseModel):
    """Why one record was refused."""

    field: str
    rule: str
    message: str


class BatchItemRead(BaseModel):
    """One record's answer in a batch: a result, or its errors."""

    index: int
    ok: bool
    result: IdentifyRead | None = None
    errors: list[ErrorRead] = Field(default_factory=list)


class BatchRead(BaseModel):
    """Every record's answer, in input order, and counts per decision."""

    results: list[BatchItemRead]
    counts: dict[str, int]
