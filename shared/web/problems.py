"""RFC 9457 problem-details responses: the one place errors become HTTP."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared import context
from shared.errors import DomainError, Unauthorized

log = logging.getLogger(__name__)
PROBLEM_JSON = "application/problem+json"


def problem(status: int, *, detail: str, title: str | None = None, **extra: Any) -> JSONResponse:
    """Build a problem-details response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if correlation := context.correlation_id.get():
        body["correlation_id"] = correlation
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = {"WWW-Authenticate": 'Bearer realm="idic"'} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    return ".".join(
        parts[1:] if parts and parts[0] in ("body", "query", "path", "header") else parts
    )


async def _validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "field": _location(err["loc"]),
            "in": str(err["loc"][0]) if err["loc"] else "body",
            "message": err["msg"],
            "type": err["type"],
        }
        for err in exc.errors()
    ]
    summary = "; ".join(f"{e['field'] or e['in']}: {e['message']}" for e in errors[:5])
    return problem(422, title="Invalid input", detail=summary, errors=errors)


async def _domain(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DomainError)
    return problem(exc.status, title=exc.title, detail=exc.detail, **exc.extra)


async def _http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return problem(exc.status_code, detail=str(exc.detail))


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem(500, detail="An internal error occurred; quote the correlation id.")


def install(app: FastAPI) -> None:
    """Register the problem-details handlers on ``app``."""
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(DomainError, _domain)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)


__all__ = ["PROBLEM_JSON", "Unauthorized", "install", "problem"]
