"""The review queue, the match model and the audit-chain check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from services.identity.api.deps import ContainerDep, actor
from services.identity.domain import MatchModel
from services.identity.handlers import admin
from services.identity.handlers.reviews import decide_review, pending_reviews
from services.identity.schemas import (
    AuditCheckRead,
    DecisionIn,
    FitIn,
    ModelRead,
    ReviewPage,
    ReviewRead,
)
from shared.errors import Invalid
from shared.web import Principal, require

router = APIRouter(tags=["operations"])


@router.get("/reviews", summary="Record pairs waiting for a clerk, oldest first")
async def list_reviews(
    container: ContainerDep,
    cursor: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    user: Principal = require("customers:read"),
) -> ReviewPage:
    """Pending reviews with their evidence; follow ``next_cursor`` for more."""
    if cursor is not None and not cursor.isdigit():
        errors = [{"field": "cursor", "rule": "cursor.format", "message": "use next_cursor"}]
        raise Invalid("cursor: not a cursor from this endpoint", errors=errors)
    async with container.uow() as uow:
        rows, following = await pending_reviews(
            uow=uow, after=int(cursor) if cursor else None, limit=limit
        )
    return ReviewPage(
        items=[ReviewRead.of(r) for r in rows],
        next_cursor=str(following) if following is not None else None,
    )


@router.post("/reviews/{review_id}/decision", summary="Decide a review: link or separate")
async def decide(
    review_id: Annotated[int, Path(ge=1)],
    body: DecisionIn,
    container: ContainerDep,
    user: Principal = require("customers:write"),
) -> ReviewRead:
    """``link`` merges the record's customer into the suggested one; ``separate`` keeps both."""
    async with container.uow() as uow:
        row = await decide_review(
            review_id, body.decision, uow=uow, config=container.config, actor=actor(user)
        )
        await uow.commit()
    return ReviewRead.of(row)


def _model_read(version: int, model: MatchModel, summary: dict[str, object]) -> ModelRead:
    data = model.to_dict()
    return ModelRead(
        version=version,
        prior=model.prior,
        link_threshold=model.link_threshold,
        review_threshold=model.review_threshold,
        fields=data["fields"],
        summary=summary,
    )


@router.get("/model", summary="The match model in use")
async def get_model(container: ContainerDep, user: Principal = require("admin")) -> ModelRead:
    """Version, thresholds and m/u per field level."""
    async with container.uow() as uow:
        version, model, summary = await admin.current_model(uow=uow)
    return _model_read(version, model, dict(summary))


@router.post("/model/fit", summary="Refit the match model by EM on the data held")
async def fit_model(
    container: ContainerDep, body: FitIn | None = None, user: Principal = require("admin")
) -> ModelRead:
    """Sample stored records and their candidate pairs, run EM, store a new version."""
    sample = body.sample_records if body else None
    async with container.uow() as uow:
        version, model, summary = await admin.fit(
            uow=uow, config=container.config, actor=actor(user), sample=sample
        )
        await uow.commit()
    return _model_read(version, model, dict(summary))


@router.get("/audit/verify", summary="Check the audit log's hash chain")
async def verify_audit(
    container: ContainerDep, user: Principal = require("admin")
) -> AuditCheckRead:
    """Recompute every row hash; the first row that breaks the chain, if any."""
    async with container.uow() as uow:
        check = await admin.verify_audit(uow=uow)
    return AuditCheckRead(
        ok=check.ok, rows=check.rows, head=check.head, first_bad_seq=check.first_bad_seq
    )
