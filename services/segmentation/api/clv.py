"""Routes of the CLV models."""

from __future__ import annotations

from fastapi import APIRouter

from services.segmentation.api.deps import UowDep
from services.segmentation.handlers.clv import FitClv, fit_clv
from services.segmentation.schemas.values import BgNbdRead, ClvFit, ClvFitRead, GammaGammaRead
from shared.web import Principal, require

router = APIRouter(tags=["clv"])


@router.post(
    "/clv/fit",
    summary="Fit BG/NBD and Gamma-Gamma on the transactions held; the result becomes current",
    responses={422: {"description": "No data to fit, or a calibration end before all data."}},
)
async def post_clv_fit(
    body: ClvFit, uow: UowDep, user: Principal = require("segments:write")
) -> ClvFitRead:
    """Fit the CLV models by maximum likelihood and store them as the current model version."""
    command = FitClv(body.calibration_end, body.time_unit, fitted_by=user.subject)
    async with uow:
        stored = await fit_clv(command, uow=uow)
        await uow.commit()
    bg, gg = stored.model.bgnbd, stored.model.spend
    return ClvFitRead(
        model_version=stored.model.version,
        fitted_at=stored.fitted_at,
        calibration_end=stored.calibration_end,
        time_unit=bg.time_unit,
        customers=stored.customers,
        bgnbd=BgNbdRead(r=bg.r, alpha=bg.alpha, a=bg.a, b=bg.b, log_likelihood=bg.log_likelihood),
        gamma_gamma=GammaGammaRead(p=gg.p, q=gg.q, gamma=gg.gamma),
    )
