"""Reading one customer's value: every figure, computed now from their profile."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.segmentation.adapters import profiles as store
from services.segmentation.adapters.frames import inputs_from_profiles
from services.segmentation.adapters.uow import SegmentationUoW
from services.segmentation.domain.activity import WINDOWS, window_column
from services.segmentation.domain.periods import Period, month_starts, monthly_periods
from services.segmentation.domain.profile import Profile
from services.segmentation.domain.valuation import valuate
from services.segmentation.handlers.valuation import load_context
from shared.errors import NotFound

PERIOD_MONTHS = 12


@dataclass(frozen=True, slots=True)
class CustomerValueView:
    """A customer's profile and every value figure, as of today."""

    profile: Profile
    figures: dict[str, Any]  # the valuation's row for the customer
    windows: dict[str, dict[str, float]]
    periods: list[Period]
    model_version: str | None
    segments: list[tuple[str, str]]  # (id, name)


async def customer_value(customer_id: str, *, uow: SegmentationUoW) -> CustomerValueView:
    """Every value figure of a customer (a merged id answers for the survivor)."""
    aliases = await store.resolve_aliases(uow.session, {customer_id})
    customer_id = aliases.get(customer_id, customer_id)
    loaded = await store.load_profiles(uow.session, {customer_id}, lock=False)
    if customer_id not in loaded:
        raise NotFound(f"no customer {customer_id!r} is known to segmentation")
    today = uow.today()
    await store.roll_profiles(
        uow.session, loaded, today=today, rolled_on=await uow.figures.rolled_on()
    )
    profile = loaded[customer_id]
    context = await load_context(uow)
    inputs = inputs_from_profiles([profile], await uow.values.stored([customer_id]))
    valued = valuate(inputs, uow.params, today=today, model=context.model, figures=context.figures)
    pairs = await uow.values.memberships([customer_id])
    return CustomerValueView(
        profile=profile,
        figures=valued.frame.row(0, named=True),
        windows=_windows(profile),
        periods=await _periods(uow, customer_id, today),
        model_version=None if context.model is None else context.model.version,
        segments=sorted((sid, context.names.get(sid, "")) for sid, _ in pairs),
    )


def _windows(profile: Profile) -> dict[str, dict[str, float]]:
    fields = ("txn_count", "txn_amount", "fee_income", "cost_to_serve")
    return {w: {f: profile.sums[window_column(f, w)] for f in fields} for w in WINDOWS}


async def _periods(uow: SegmentationUoW, customer_id: str, today: int) -> list[Period]:
    first = month_starts(today, PERIOD_MONTHS)[0]
    recent, earlier = await store.customer_buckets(uow.session, customer_id, from_day=first)
    return monthly_periods(
        recent,
        opening=earlier,
        today=today,
        months=PERIOD_MONTHS,
        params=uow.params.contribution,
    )
