"""The FastAPI application every service builds on: problems, auth, health, metrics."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.memory import freeze_startup_heap
from shared.runtime import Runtime
from shared.web import problems
from shared.web.auth import TokenVerifier
from shared.web.middleware import ObservabilityMiddleware

log = logging.getLogger(__name__)


def create_service_app(
    runtime: Runtime, *, title: str, description: str, routers: Sequence[APIRouter]
) -> FastAPI:
    """Assemble a service's app; its routers are mounted as given (business routes under /v1)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        freeze_startup_heap()
        yield
        await runtime.close()

    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan)
    app.state.runtime = runtime
    app.state.token_verifier = TokenVerifier(runtime.settings.auth)
    problems.install(app)
    app.add_middleware(ObservabilityMiddleware, metrics=runtime.metrics)
    app.include_router(operations_router(runtime))
    for router in routers:
        app.include_router(router)
    return app


def operations_router(runtime: Runtime, *, check_broker: bool = True) -> APIRouter:
    """``/healthz``, ``/readyz`` and ``/metrics``: unauthenticated, for probes and Prometheus."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: database and broker reachable", response_model=None)
    async def readyz() -> dict[str, object] | Response:
        checks = {"database": runtime.database_ready}
        if check_broker:
            checks["broker"] = runtime.broker_ready
        failures = {}
        for name, check in checks.items():
            try:
                await check()
            except Exception as exc:
                failures[name] = repr(exc)
        if failures:
            return problems.problem(503, detail="not ready", checks=failures)
        return {"status": "ready", "checks": {name: "ok" for name in checks}}

    @router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(runtime.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return router
