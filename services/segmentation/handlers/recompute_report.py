"""What a recompute did and how long each of its steps took."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import polars as pl

T = TypeVar("T")


@dataclass
class RecomputeReport:
    """What a recompute did, and how long each step took (seconds)."""

    as_of: Any
    customers: int = 0
    rolled_profiles: int = 0
    value_changes: int = 0
    segment_entries: int = 0
    segment_exits: int = 0
    folded_meanwhile: int = 0  # customers folded (or erased) while the recompute read and valued
    steps: dict[str, float] = field(default_factory=dict)
    roll: pl.DataFrame = field(default_factory=pl.DataFrame)  # rolled sums left to `store_roll`
    locked_at: float = 0.0  # perf_counter when the exclusive lock was granted
    exclusive_s: float = 0.0  # from then to the commit: what folding waited for
    published_s: float = 0.0  # from the start to the commit
    total_s: float = 0.0  # and to the last rolled sum written

    async def timed(self, name: str, step: Awaitable[T]) -> T:
        """Await ``step``, recording its duration under ``name``."""
        start = time.perf_counter()
        result = await step
        self.steps[name] = time.perf_counter() - start
        return result

    def timed_sync(self, name: str, step: Callable[[], T]) -> T:
        """Run ``step``, recording its duration under ``name``."""
        start = time.perf_counter()
        result = step()
        self.steps[name] = time.perf_counter() - start
        return result
