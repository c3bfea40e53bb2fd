"""``POST /v1/customers/identify`` and its batch form."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, ValidationError

from services.identity.api.deps import ContainerDep, actor
from services.identity.handlers.identify import Outcome, identify
from services.identity.schemas import (
    BatchIn,
    BatchItemRead,
    BatchRead,
    IdentifyRead,
    SourceRecordIn,
    record_errors,
)
from shared.errors import Invalid
from shared.web import IdempotencyKey, Principal, fingerprint, require, run_once

router = APIRouter(tags=["identify"])


def _read(outcome: Outcome) -> IdentifyRead:
    assert outcome.customer_id and outcome.decision and outcome.result and outcome.record_status
    return IdentifyRead.build(
        customer_id=outcome.customer_id,
        decision=outcome.decision,
        record_status=outcome.record_status,
        result=outcome.result,
        review_id=outcome.review_id,
        model_version=outcome.model_version,
    )


@router.post(
    "/customers/identify",
    response_model=IdentifyRead,
    summary="Resolve one source record to a customer (link, new customer, or review)",
)
async def identify_one(
    body: SourceRecordIn,
    container: ContainerDep,
    key: IdempotencyKey = None,
    user: Principal = require("customers:write"),
) -> Response:
    """Identify one record; an invalid identifier is a 422 naming the field and rule."""
    uow = container.uow()

    async def action() -> tuple[int, BaseModel]:
        [outcome] = await identify(
            [body.to_dict()], uow=uow, config=container.config, actor=actor(user)
        )
        if outcome.errors:
            first = outcome.errors[0]
            raise Invalid(f"{first['field']}: {first['message']}", errors=list(outcome.errors))
        return 200, _read(outcome)

    request_hash = fingerprint("POST", "identify", body) if key else ""
    return await run_once(uow, key=key, principal=user, request_hash=request_hash, action=action)


@router.post(
    "/customers/identify/batch",
    response_model=BatchRead,
    summary="Resolve up to 10,000 records in order; a bad record gets its own errors",
)
async def identify_batch(
    body: BatchIn,
    container: ContainerDep,
    key: IdempotencyKey = None,
    user: Principal = require("customers:write"),
) -> Response:
    """Identify a batch: per-record answers in input order, as if sent one by one."""
    limit = container.config.max_batch
    if len(body.records) > limit:
        errors = [{"field": "records", "rule": "batch.size", "message": f"at most {limit}"}]
        raise Invalid(f"a batch holds at most {limit} records", errors=errors)
    items = [_validated(index, raw) for index, raw in enumerate(body.records)]
    uow = container.uow()

    async def action() -> tuple[int, BaseModel]:
        outcomes = await identify(items, uow=uow, config=container.config, actor=actor(user))
        return 200, _batch_read(outcomes)

    request_hash = fingerprint("POST", "identify/batch", body) if key else ""
    return await run_once(uow, key=key, principal=user, request_hash=request_hash, action=action)


def _validated(index: int, raw: dict[str, Any]) -> dict[str, Any] | Outcome:
    try:
        return SourceRecordIn.model_validate(raw).to_dict()
    except ValidationError as exc:
        return Outcome(index, errors=tuple(record_errors(exc)))


def _batch_read(outcomes: list[Outcome]) -> BatchRead:
    results = [
        BatchItemRead(index=o.index, ok=False, errors=list(o.errors))
        if o.errors
        else BatchItemRead(index=o.index, ok=True, result=_read(o))
        for o in outcomes
    ]
    counts = Counter("error" if o.errors else str(o.decision) for o in outcomes)
    return BatchRead(results=results, counts=dict(counts))
