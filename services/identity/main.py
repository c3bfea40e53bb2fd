"""The identity service's HTTP app (``idic serve identity``)."""

from __future__ import annotations

from fastapi import FastAPI

from services.identity import api
from services.identity.bootstrap import bootstrap
from services.identity.settings import Settings, get_settings
from shared.web import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (from the environment when omitted)."""
    container = bootstrap(settings or get_settings())
    app = create_service_app(
        container.runtime,
        title="IDIC identity",
        description="Customer identification: registry, resolution, golden record, PII vault.",
        routers=[api.router],
    )
    app.state.container = container
    return app
