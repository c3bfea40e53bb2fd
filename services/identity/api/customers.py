"""Customers: lookup, golden record, source records, history, merge, unmerge, erasure."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response

from services.identity.api.deps import ContainerDep, actor, resource
from services.identity.handlers import customers as reads
from services.identity.handlers.erasure import erase
from services.identity.handlers.merging import merge, unmerge
from services.identity.schemas import (
    CustomerList,
    CustomerRead,
    HistoryEntryRead,
    HistoryPage,
    MergeIn,
    MergeRead,
    SourceRecordList,
    UnmergeIn,
)
from shared.web import Principal, require

router = APIRouter(tags=["customers"])
CustomerId = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/customers", summary="Find customers by an identifier (through its blind index)")
async def lookup(
    request: Request,
    container: ContainerDep,
    identifier_type: Annotated[str, Query(max_length=32, examples=["phone"])],
    value: Annotated[str, Query(max_length=256)],
    user: Principal = require("customers:read"),
) -> CustomerList:
    """Customers holding the identifier; PII masked unless the caller holds pii:read."""
    who = actor(user)
    async with container.uow() as uow:
        views = await reads.lookup(
            identifier_type,
            value,
            uow=uow,
            config=container.config,
            actor=who,
            resource=f"{resource(request)}?identifier_type={identifier_type}",
        )
        await uow.commit()
    return CustomerList(items=[CustomerRead.of(v, masked=not who.pii) for v in views])


async def _golden(request: Request, customer_id: str, container: Any, who: Any) -> Any:
    """Read (and audit) the customer behind ``customer_id``, following merges."""
    async with container.uow() as uow:
        found = await reads.get_customer(
            customer_id, uow=uow, config=container.config, actor=who, resource=resource(request)
        )
        await uow.commit()
    return found


@router.get("/customers/{customer_id}", summary="A customer's golden record")
async def get_customer(
    request: Request,
    customer_id: CustomerId,
    container: ContainerDep,
    user: Principal = require("customers:read"),
) -> CustomerRead:
    """The golden record; a merged id answers with its survivor (``merged_into``)."""
    who = actor(user)
    found = await _golden(request, customer_id, container, who)
    return CustomerRead.of(found, masked=not who.pii)


@router.get("/customers/{customer_id}/records", summary="A customer's source records")
async def get_records(
    request: Request,
    customer_id: CustomerId,
    container: ContainerDep,
    user: Principal = require("customers:read"),
) -> SourceRecordList:
    """Every source record the customer holds (with their original customer)."""
    who = actor(user)
    found = await _golden(request, customer_id, container, who)
    return SourceRecordList.of(found, masked=not who.pii)


@router.get("/customers/{customer_id}/history", summary="What happened to a customer")
async def get_history(
    customer_id: CustomerId,
    container: ContainerDep,
    before: Annotated[int | None, Query(ge=1)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    user: Principal = require("customers:read"),
) -> HistoryPage:
    """Registrations, links, merges, unmerges, reviews and erasure, newest first."""
    async with container.uow() as uow:
        rows = await reads.history(customer_id, uow=uow, limit=limit, before=before)
    items = [HistoryEntryRead.model_validate(r, from_attributes=True) for r in rows]
    cursor = items[-1].id if len(items) == limit else None
    return HistoryPage(customer_id=customer_id, items=items, next_cursor=cursor)


@router.post("/customers/{customer_id}/merge", summary="Merge another customer into this one")
async def merge_customer(
    customer_id: CustomerId,
    body: MergeIn,
    container: ContainerDep,
    user: Principal = require("customers:write"),
) -> MergeRead:
    """``other_id`` becomes part of this customer; its id answers with this one from now on."""
    async with container.uow() as uow:
        done = await merge(
            customer_id,
            body.other_id,
            reason=body.reason,
            uow=uow,
            config=container.config,
            actor=actor(user),
        )
        await uow.commit()
    return MergeRead.model_validate(done, from_attributes=True)


@router.post("/customers/{customer_id}/unmerge", summary="Undo a merge into this customer")
async def unmerge_customer(
    customer_id: CustomerId,
    body: UnmergeIn,
    container: ContainerDep,
    user: Principal = require("customers:write"),
) -> MergeRead:
    """Give ``restore_id`` its records back: both golden records are as before the merge."""
    async with container.uow() as uow:
        done = await unmerge(
            customer_id,
            body.restore_id,
            reason=body.reason,
            uow=uow,
            config=container.config,
            actor=actor(user),
        )
        await uow.commit()
    return MergeRead.model_validate(done, from_attributes=True)


@router.delete(
    "/customers/{customer_id}",
    status_code=204,
    summary="Erase a customer (crypto-shredding)",
    response_class=Response,
)
async def erase_customer(
    request: Request,
    customer_id: CustomerId,
    container: ContainerDep,
    user: Principal = require("customers:write"),
) -> Response:
    """Destroy the customer's data key, records and blind indexes; publish ``erased``."""
    async with container.uow() as uow:
        await erase(customer_id, uow=uow, actor=actor(user), resource=resource(request))
        await uow.commit()
    return Response(status_code=204)
