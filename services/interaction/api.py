"""HTTP routes of the interaction service."""

from __future__ import annotations

from fastapi import APIRouter

from services.interaction.domain.channels import CHANNELS
from services.interaction.schemas import ChannelRead
from shared.web import Principal, require

router = APIRouter(prefix="/v1", tags=["interaction"], dependencies=[require()])


@router.get("/channels", summary="The channels interactions are recorded on")
async def list_channels(user: Principal = require("interactions:read")) -> list[ChannelRead]:
    """List the contact channels."""
    return [ChannelRead.model_validate(c, from_attributes=True) for c in CHANNELS]
