"""The segmentation service's HTTP app (``idic serve segmentation``)."""

from __future__ import annotations

from fastapi import FastAPI

from services.segmentation import api
from services.segmentation.bootstrap import bootstrap
from services.segmentation.settings import Settings, get_settings
from shared.web import create_service_app


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (from the environment when omitted)."""
    container = bootstrap(settings or get_settings())
    app = create_service_app(
        container.runtime,
        title="IDIC segmentation",
        description=(
            "Differentiation: per-customer activity, contribution, RFM, ABC/Pareto, CLV "
            "(BG/NBD + Gamma-Gamma), wealth tiers, value categories and rule segments."
        ),
        routers=[api.router],
    )
    app.state.container = container
    return app
