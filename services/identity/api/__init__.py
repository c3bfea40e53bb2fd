"""HTTP routes of the identity service, all under ``/v1`` and all authenticated."""

from __future__ import annotations

from fastapi import APIRouter

from services.identity.api import customers, identify, operations
from shared.web import require

router = APIRouter(prefix="/v1", dependencies=[require()])
router.include_router(identify.router)
router.include_router(customers.router)
router.include_router(operations.router)

__all__ = ["router"]
