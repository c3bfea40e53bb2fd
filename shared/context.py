"""Request/event context carried implicitly: correlation, causation and W3C trace ids."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
causation_id: ContextVar[str | None] = ContextVar("causation_id", default=None)
traceparent: ContextVar[str | None] = ContextVar("traceparent", default=None)


def new_id() -> str:
    """A fresh random id (UUID4, text)."""
    return str(uuid.uuid4())


@contextmanager
def bound(
    *, correlation: str | None, causation: str | None = None, trace: str | None = None
) -> Iterator[None]:
    """Bind the correlation (and causation, trace) ids for the duration of a block."""
    tokens = (
        (correlation_id, correlation_id.set(correlation or new_id())),
        (causation_id, causation_id.set(causation)),
        (traceparent, traceparent.set(trace)),
    )
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)
