"""HTTP routes of the segmentation service, all under ``/v1`` and authenticated."""

from __future__ import annotations

from fastapi import APIRouter

from services.segmentation.api import clv, customers, reports, segments
from shared.web import require

router = APIRouter(prefix="/v1", dependencies=[require()])
router.include_router(customers.router)
router.include_router(clv.router)
router.include_router(reports.router)
router.include_router(segments.router)
