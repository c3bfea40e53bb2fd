"""ASGI middleware: correlation id in and out, and request latency by route template."""

from __future__ import annotations

import time
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import context
from shared.metrics import Metrics

CORRELATION_HEADER = "x-correlation-id"


class ObservabilityMiddleware:
    """Binds a correlation id per request and times it; pure ASGI, so streaming stays cheap."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, CORRELATION_HEADER)
        status = {"code": 500}
        started = time.perf_counter()
        trace = _header(scope, "traceparent")
        with context.bound(correlation=incoming, trace=trace):
            correlation = context.correlation_id.get() or ""

            async def send_with_id(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status["code"] = message["status"]
                    MutableHeaders(scope=message).append(CORRELATION_HEADER, correlation)
                await send(message)

            try:
                await self.app(scope, receive, send_with_id)
            finally:
                self.metrics.http_latency.labels(
                    scope["method"], _route(scope), str(status["code"])
                ).observe(time.perf_counter() - started)


def _header(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", []):
        if key.decode("latin-1") == name:
            text = value.decode("latin-1")
            return text[:128] if text else None
    return None


def _route(scope: Scope) -> str:
    # The router leaves the matched route in the scope; unmatched paths share one label.
    route: Any = scope.get("route")
    return getattr(route, "path", None) or "unmatched"
