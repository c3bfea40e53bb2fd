"""Dependencies of the identity routes: the container, the caller as a use-case actor."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from services.identity.bootstrap import Container
from services.identity.handlers.common import Actor
from shared.web import Principal

PII_SCOPE = "pii:read"


def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(_container)]


def actor(principal: Principal) -> Actor:
    """The caller as the use cases see it: who, and whether PII may be shown unmasked."""
    return Actor(subject=principal.subject, pii=principal.has(PII_SCOPE))


def resource(request: Request) -> str:
    """What was read, for the audit log: method and path, never the query (it may hold PII)."""
    return f"{request.method} {request.url.path}"
