"""Response models of the recompute and the reports."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class RecomputeRead(BaseModel):
    """What a full recompute did."""

    as_of: dt.date
    customers: int
    rolled_profiles: int = Field(description="Profiles whose window sums moved to today.")
    value_changes: int = Field(description="Customers whose tier, ABC class or categories changed.")
    segment_entries: int
    segment_exits: int
    seconds: dict[str, float] = Field(description="Duration of each step.")
    published_seconds: float = Field(
        description="From the start to the commit: values and events out, folding waiting."
    )
    total_seconds: float = Field(
        description="To the last rolled window sum written back, beside folding."
    )


class ParetoPoint(BaseModel):
    """The top ``customer_share`` of customers make ``contribution_share`` of net contribution."""

    customer_share: float
    contribution_share: float


class Benchmark(BaseModel):
    """This bank's concentration against a figure the documents cite."""

    name: str
    customer_share: float
    benchmark_share: float
    actual_share: float | None


class ParetoRead(BaseModel):
    """ABC/Pareto report of the last recompute."""

    as_of: dt.date
    customers: int
    total_contribution: float
    total_positive_contribution: float
    points: list[ParetoPoint]
    top_10_share: float | None
    top_20_share: float | None
    bottom_30_consumed_share: float | None
    benchmarks: list[Benchmark]
    class_counts: dict[str, int]
    class_contribution: dict[str, float]


class TierRow(BaseModel):
    """Customers and assets of one tier."""

    tier: str
    customers: int
    financial_assets: float
    borderline: int = Field(description="Within the borderline band below private banking.")
    stable: int = Field(description="Private banking above the stable minimum.")


class TiersRead(BaseModel):
    """Tier distribution, with the thresholds in force."""

    thresholds: dict[str, float]
    tiers: list[TierRow]


class CategoriesRead(BaseModel):
    """Customers per value category."""

    customers: int
    categories: dict[str, int]
