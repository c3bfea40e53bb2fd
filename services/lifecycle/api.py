"""HTTP routes of the lifecycle service."""

from __future__ import annotations

from fastapi import APIRouter

from services.lifecycle.domain.stages import STAGE_DEFINITIONS
from services.lifecycle.schemas import StageRead
from shared.web import Principal, require

router = APIRouter(prefix="/v1", tags=["lifecycle"], dependencies=[require()])


@router.get("/stages", summary="The six relationship stages and what marks each")
async def list_stages(user: Principal = require("lifecycle:read")) -> list[StageRead]:
    """List the lifecycle stages in order."""
    return [StageRead.model_validate(stage, from_attributes=True) for stage in STAGE_DEFINITIONS]
