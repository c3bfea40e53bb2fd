"""The one place domain errors of segmentation become `shared.errors.Invalid` (HTTP 422)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from services.segmentation.domain.errors import (
    InvalidInputError,
    InvalidRuleError,
    SegmentCycleError,
)
from shared.errors import Invalid


@contextmanager
def domain_errors(field: str) -> Iterator[None]:
    """Turn the domain's input errors raised in the block into a 422 about ``field``."""
    try:
        yield
    except InvalidRuleError as exc:
        errors = [
            {"field": _join(field, issue.path), "message": issue.message} for issue in exc.issues
        ]
        raise Invalid(f"invalid {field}: {exc}", errors=errors) from exc
    except SegmentCycleError as exc:
        raise Invalid(str(exc), errors=[{"field": field, "message": str(exc)}]) from exc
    except InvalidInputError as exc:
        raise Invalid(str(exc), errors=[{"field": field, "message": str(exc)}]) from exc


def _join(field: str, path: str) -> str:
    return f"{field}.{path}" if path else field
