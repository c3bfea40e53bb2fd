"""The domain's exception tree; one place (shared.web.problems) maps it to HTTP."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a handler may raise on purpose."""

    status = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    """The thing asked for does not exist."""

    status = 404
    title = "Not found"


class Conflict(DomainError):
    """The request clashes with the current state."""

    status = 409
    title = "Conflict"


class Invalid(DomainError):
    """The request is well-formed but breaks a business rule; ``errors`` say where."""

    status = 422
    title = "Invalid input"

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail, errors=errors or [])


class Unauthorized(DomainError):
    """No valid credentials were presented."""

    status = 401
    title = "Unauthorized"


class Forbidden(DomainError):
    """The credentials do not carry the scope the route needs."""

    status = 403
    title = "Forbidden"
