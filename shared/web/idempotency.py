"""``Idempotency-Key`` for create endpoints: a retried request gets the first response back.

The key and the response are stored in the same transaction as the creation, so a retry that
races the first attempt either sees the stored response or collides on the key (409).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from shared.db.uow import UnitOfWork
from shared.errors import Conflict, Invalid
from shared.web.auth import Principal

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=255, description="Makes a retried create safe."),
]


def fingerprint(*parts: Any) -> str:
    """A stable hash of what identifies a request (method, path, body)."""

    def default(value: Any) -> Any:
        return value.model_dump(mode="json") if isinstance(value, BaseModel) else str(value)

    raw = json.dumps(parts, sort_keys=True, default=default, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()


async def run_once(
    uow: UnitOfWork,
    *,
    key: str | None,
    principal: Principal,
    request_hash: str,
    action: Callable[[], Awaitable[tuple[int, BaseModel]]],
) -> Response:
    """Run ``action`` (which writes into ``uow``) once per key; commit; return its response."""
    async with uow:
        if key is not None:
            stored = await _stored(uow, principal.subject, key)
            if stored is not None:
                return _replay(stored, request_hash)
            await _reserve(uow, principal.subject, key, request_hash)
        status, body = await action()
        # Rendered once by pydantic's serializer: a 10,000-record batch answer took 7 % of the
        # batch as model_dump plus json.dumps.
        content = body.model_dump_json(by_alias=True)
        if key is not None:
            table = uow.tables.idempotency
            await uow.session.execute(
                update(table)
                .where(table.c.principal == principal.subject, table.c.key == key)
                .values(status_code=status, body=content)
            )
        await uow.commit()
    return Response(content, status_code=status, media_type="application/json")


async def _reserve(uow: UnitOfWork, subject: str, key: str, request_hash: str) -> None:
    """Claim the key now, so a concurrent retry collides here rather than creating twice."""
    try:
        await uow.session.execute(
            insert(uow.tables.idempotency).values(
                principal=subject,
                key=key,
                request_hash=request_hash,
                status_code=0,
                body="",
                created_at=datetime.now(UTC),
            )
        )
    except IntegrityError as exc:
        raise Conflict("a request with this Idempotency-Key is in progress; retry later") from exc


async def _stored(uow: UnitOfWork, subject: str, key: str) -> Any:
    table = uow.tables.idempotency
    query = select(table).where(table.c.principal == subject, table.c.key == key)
    return (await uow.session.execute(query)).first()


def _replay(stored: Any, request_hash: str) -> Response:
    if stored.request_hash != request_hash:
        raise Invalid(
            "Idempotency-Key was already used with a different request",
            errors=[{"field": "Idempotency-Key", "message": "reused with another body"}],
        )
    response = Response(stored.body, status_code=stored.status_code, media_type="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response
