"""Errors of the segmentation domain; the service maps them to problem-details responses.

`InvalidInputError` is also a `ValueError`, so settings and pydantic validators can let it
through as one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class SegmentationError(Exception):
    """Base of every error the segmentation domain raises."""


class InvalidInputError(SegmentationError, ValueError):
    """The input or the parameters break a domain rule."""


class InvalidParametersError(InvalidInputError):
    """A parameter set (rates, thresholds, shares) is inconsistent."""


@dataclass(frozen=True, slots=True)
class RuleIssue:
    """One problem found in a segment condition; `path` is like ``all[1].any[0].value``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '(root)'}: {self.message}"


class InvalidRuleError(InvalidInputError):
    """A segment condition failed validation; `issues` lists every problem found."""

    def __init__(self, issues: Sequence[RuleIssue]) -> None:
        self.issues: tuple[RuleIssue, ...] = tuple(issues)
        super().__init__("; ".join(str(issue) for issue in self.issues))


class SegmentCycleError(InvalidInputError):
    """Segment definitions refer to each other in a loop; `cycle` is the loop, closed."""

    def __init__(self, cycle: Sequence[str]) -> None:
        self.cycle: tuple[str, ...] = tuple(cycle)
        super().__init__("segment references form a cycle: " + " -> ".join(self.cycle))
