"""Routes about one customer: their value, every figure in one call."""

from __future__ import annotations

from fastapi import APIRouter, Path

from services.segmentation.api.deps import ContainerDep, UowDep
from services.segmentation.handlers.customers import customer_value
from services.segmentation.schemas.values import CustomerValueRead
from shared.web import Principal, require

router = APIRouter(tags=["customers"])
CustomerIdPath = Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")


@router.get(
    "/customers/{customer_id}/value",
    summary="A customer's value: contribution, RFM, ABC, CLV, tier, categories, segments",
    responses={404: {"description": "The customer is not known to segmentation."}},
)
async def get_customer_value(
    uow: UowDep,
    container: ContainerDep,
    customer_id: str = CustomerIdPath,
    user: Principal = require("segments:read"),
) -> CustomerValueRead:
    """Every value figure of the customer, computed now (a merged id answers for the survivor)."""
    async with uow:
        view = await customer_value(customer_id, uow=uow)
    return CustomerValueRead.from_view(view, horizon_months=container.settings.clv.horizon_months)
