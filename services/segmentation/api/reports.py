"""Routes of the full recompute and the reports."""

from __future__ import annotations

from fastapi import APIRouter

from services.segmentation.api.deps import UowDep
from services.segmentation.handlers import reports
from services.segmentation.handlers.recompute import recompute_and_store
from services.segmentation.schemas.reports import (
    CategoriesRead,
    ParetoRead,
    RecomputeRead,
    TiersRead,
)
from shared.web import Principal, require

router = APIRouter(tags=["reports"])


@router.post(
    "/recompute",
    summary="Value every customer now (vectorized) and publish what changed",
    description="Needs ``segments:write`` (or ``admin``). The worker also runs it periodically.",
)
async def post_recompute(uow: UowDep, user: Principal = require("segments:write")) -> RecomputeRead:
    """Run the full recompute and return what it did."""
    report = await recompute_and_store(uow)
    return RecomputeRead(
        as_of=report.as_of,
        customers=report.customers,
        rolled_profiles=report.rolled_profiles,
        value_changes=report.value_changes,
        segment_entries=report.segment_entries,
        segment_exits=report.segment_exits,
        seconds=report.steps,
        published_seconds=report.published_s,
        total_seconds=report.total_s,
    )


@router.get("/reports/pareto", summary="ABC/Pareto curve and concentration benchmarks")
async def get_pareto(uow: UowDep, user: Principal = require("segments:read")) -> ParetoRead:
    """The Pareto report of the last recompute."""
    async with uow:
        return ParetoRead.model_validate(await reports.pareto(uow=uow))


@router.get("/reports/tiers", summary="Customers and financial assets per wealth tier")
async def get_tiers(uow: UowDep, user: Principal = require("segments:read")) -> TiersRead:
    """The tier distribution now."""
    async with uow:
        return TiersRead.model_validate(await reports.tiers(uow=uow))


@router.get("/reports/categories", summary="Customers per value category")
async def get_categories(uow: UowDep, user: Principal = require("segments:read")) -> CategoriesRead:
    """The value-category counts now."""
    async with uow:
        return CategoriesRead.model_validate(await reports.categories(uow=uow))
