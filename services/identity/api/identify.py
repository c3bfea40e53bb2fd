"""``POST /v1/customers/identify`` and its batch form."""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, RootModel, ValidationError

from services.identity.api.deps import ContainerDep, actor
from services.identity.handlers.identify import Outcome, identify
from services.identity.schemas import (
    BatchIn,
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
    uow = container.uow()

    async def action() -> tuple[int, BaseModel]:
        outcomes = await identify(items, uow=uow, config=container.config, actor=actor(user))
        return 200, _batch_read(outcomes)

    with collector_paused():
        items = [_validated(index, raw) for index, raw in enumerate(body.records)]
        request_hash = fingerprint("POST", "identify/batch", body) if key else ""
        return await run_once(
            uow, key=key, principal=user, request_hash=request_hash, action=action
        )


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector for one batch.

    A batch builds ~10 objects per record that live until it ends; each automatic collection
    rescans all of them, which more than doubles the batch's CPU time. Reference counting still
    frees everything acyclic, and the collector runs again right after.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _validated(index: int, raw: dict[str, Any]) -> dict[str, Any] | Outcome:
    """The record as sent once it fits the schema (which forbids unknown fields)."""
    try:
        SourceRecordIn.model_validate(raw)
    except ValidationError as exc:
        return Outcome(index, errors=tuple(record_errors(exc)))
    return raw


def _batch_read(outcomes: list[Outcome]) -> BaseModel:
    """The BatchRead shape as plain data: 10,000 answers skip per-object model overhead."""
    results = [
        {"index": o.index, "ok": False, "result": None, "errors": list(o.errors)}
        if o.errors
        else {"index": o.index, "ok": True, "result": _plain(o), "errors": []}
        for o in outcomes
    ]
    counts = Counter("error" if o.errors else str(o.decision) for o in outcomes)
    return _Plain.model_construct({"results": results, "counts": dict(counts)})


def _plain(outcome: Outcome) -> dict[str, Any]:
    result = outcome.result
    assert result is not None
    return {
        "customer_id": outcome.customer_id,
        "decision": outcome.decision,
        "record_status": outcome.record_status,
        "score": result.score,
        "probability": result.probability,
        "reason": result.reason,
        "evidence": [
            {"field": e.field, "level": e.level, "weight": e.weight} for e in result.evidence
        ],
        "candidate_id": result.customer_id if outcome.decision == "review" else None,
        "review_id": outcome.review_id,
        "model_version": outcome.model_version,
    }


_Plain = RootModel[dict[str, Any]]
