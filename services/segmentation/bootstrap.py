"""Composition root of the segmentation service, shared by the API and the worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from services.segmentation.adapters.orm import messaging
from services.segmentation.adapters.uow import Clock, SegmentationUoW, utc_now
from services.segmentation.domain.valuation import ValuationParams
from services.segmentation.handlers.valuation import settle
from services.segmentation.settings import Settings
from shared.runtime import Runtime

MIGRATIONS = Path(__file__).parent / "migrations"


def valuation_params(settings: Settings) -> ValuationParams:
    """The domain parameters of the valuation, from the settings."""
    return ValuationParams(
        contribution=settings.contribution.params(),
        tiers=settings.tiers.params(),
        abc=settings.abc.params(),
        categories=settings.categories.params(),
        abc_window=settings.abc_window,
        rfm_window=settings.rfm_window,
        clv_horizon_months=settings.clv.horizon_months,
        clv_monthly_discount_rate=settings.clv.monthly_discount_rate,
    )


@dataclass
class Container:
    """The process's runtime, its settings, and how to open a unit of work on them."""

    runtime: Runtime
    settings: Settings
    clock: Clock = field(default=utc_now)

    def __post_init__(self) -> None:
        self.params = valuation_params(self.settings)

    def uow(self) -> SegmentationUoW:
        """A fresh unit of work (it settles touched customers when it commits)."""
        return SegmentationUoW(
            self.runtime.sessions,
            messaging,
            source=self.runtime.source,
            params=self.params,
            clock=self.clock,
            settle=settle,
        )


def bootstrap(settings: Settings, *, clock: Clock = utc_now) -> Container:
    """Open the runtime for ``settings``."""
    return Container(Runtime.open(settings, tables=messaging), settings, clock)
