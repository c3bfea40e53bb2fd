"""Request/event context carried implicitly: correlation and causation ids."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
causation_id: ContextVar[str | None] = ContextVar("causation_id", default=None)


def new_id() -> str:
    """A fresh random id (UUID4, text)."""
    return str(uuid.uuid4())


@contextmanager
def bound(*, correlation: str | None, causation: str | None = None) -> Iterator[None]:
    """Bind the correlation (and causation) id for the duration of a block."""
    c_token = correlation_id.set(correlation or new_id())
    k_token = causation_id.set(causation)
    try:
        yield
    finally:
        causation_id.reset(k_token)
        correlation_id.reset(c_token)
