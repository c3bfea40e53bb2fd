"""Fitting the CLV models (BG/NBD and Gamma-Gamma) on the transactions held."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import numpy as np
import polars as pl

from services.segmentation.adapters.frames import read_purchase_days
from services.segmentation.adapters.repositories import StoredModel
from services.segmentation.adapters.uow import SegmentationUoW
from services.segmentation.domain.activity import EPOCH
from services.segmentation.domain.clv import (
    TimeUnit,
    Transactions,
    fit_bgnbd,
    fit_gamma_gamma,
    summarize,
)
from services.segmentation.domain.valuation import ClvModel
from services.segmentation.handlers.errors import domain_errors


@dataclass(frozen=True, slots=True)
class FitClv:
    """Fit on purchases up to ``calibration_end`` (all when None), in ``time_unit``s."""

    calibration_end: dt.date | None
    time_unit: TimeUnit
    fitted_by: str


async def fit_clv(command: FitClv, *, uow: SegmentationUoW) -> StoredModel:
    """Fit both models, store them as a new model version (the current one from now on)."""
    days = await read_purchase_days(uow.session)
    with domain_errors("calibration_end"):
        summary = summarize(
            _transactions(days),
            calibration_end=command.calibration_end,
            time_unit=command.time_unit,
        )
        bgnbd, spend = fit_bgnbd(summary), fit_gamma_gamma(summary)
    now = uow.now()
    version = f"clv-{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
    stored = StoredModel(
        model=ClvModel(version=version, bgnbd=bgnbd, spend=spend),
        fitted_at=now,
        calibration_end=command.calibration_end,
        customers=summary.size,
    )
    await uow.models.add(stored, fitted_by=command.fitted_by)
    return stored


def _transactions(days: pl.DataFrame) -> Transactions:
    """Purchase days as the model's transaction log (customer ids as integer codes)."""
    codes = days["customer_id"].cast(pl.Categorical).to_physical().to_numpy()
    dates = np.datetime64(EPOCH, "D") + days["day"].to_numpy().astype("timedelta64[D]")
    return Transactions(
        customer_id=codes.astype(np.int64),
        date=dates,
        amount=days["txn_amount"].to_numpy().astype(np.float64),
    )
