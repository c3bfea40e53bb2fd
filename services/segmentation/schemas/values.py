"""Request and response models: a customer's value, and the CLV fit."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal

from pydantic import BaseModel, Field

from services.segmentation.domain.activity import WINDOWS, day_date, window_column
from services.segmentation.domain.periods import Period
from services.segmentation.handlers.customers import CustomerValueView


def _number(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


class ActivityRead(BaseModel):
    """Transactions and costs of one trailing window (or of all time)."""

    txn_count: int
    txn_amount: float
    fee_income: float
    cost_to_serve: float
    contribution: float


class PeriodRead(BaseModel):
    """One calendar month (to date, for the current one) and its contribution."""

    period: str = Field(description="The month, YYYY-MM.")
    start: dt.date
    end: dt.date
    txn_count: int
    txn_amount: float
    fee_income: float
    deposit_margin: float
    loan_margin: float
    cost_to_serve: float
    contribution: float

    @classmethod
    def from_domain(cls, period: Period) -> PeriodRead:
        """The month's figures."""
        c = period.contribution
        return cls(
            period=period.start.strftime("%Y-%m"),
            start=period.start,
            end=period.end,
            txn_count=period.txn_count,
            txn_amount=period.txn_amount,
            fee_income=c.fee_income,
            deposit_margin=c.deposit_margin,
            loan_margin=c.loan_margin,
            cost_to_serve=c.cost_to_serve,
            contribution=c.total,
        )


class BalancesRead(BaseModel):
    """The latest balance snapshot."""

    as_of: dt.date
    deposits: float
    investments: float
    loans_outstanding: float
    financial_assets: float


class RfmRead(BaseModel):
    """Recency, frequency and monetary quintile scores (1-5) and the code like ``545``."""

    recency_days: int | None
    recency: int
    frequency: int
    monetary: int
    code: str


class TierRead(BaseModel):
    """Wealth tier with its private-banking flags."""

    tier: Literal["mass", "affluent", "private_banking"]
    borderline: bool = Field(description="Within the borderline band below private banking.")
    stable: bool = Field(description="Private banking above the stable minimum.")


class ClvRead(BaseModel):
    """Predictions of the current CLV model for this customer."""

    model_version: str
    horizon_months: int
    p_alive: float
    expected_transactions: float
    value: float


class SegmentRef(BaseModel):
    """A segment the customer is in."""

    id: str
    name: str


class CustomerValueRead(BaseModel):
    """Every value figure of one customer, as of ``as_of``."""

    customer_id: str
    as_of: dt.date
    kind: str | None
    home_branch: str | None
    lifecycle_stage: str | None
    first_seen_at: dt.datetime
    first_activity_at: dt.datetime | None
    last_activity_at: dt.datetime | None
    active_days: int
    products: list[str]
    product_kinds: list[str]
    balances: BalancesRead | None
    activity: dict[str, ActivityRead] = Field(description="By window: 30d, 90d, 365d, all.")
    periods: list[PeriodRead] = Field(description="Contribution per month, oldest first.")
    rfm: RfmRead
    abc_class: Literal["A", "B", "C"]
    tier: TierRead
    categories: list[str]
    clv: ClvRead | None
    segments: list[SegmentRef]

    @classmethod
    def from_view(cls, view: CustomerValueView, *, horizon_months: int) -> CustomerValueRead:
        """The response for a customer's value view."""
        p, f = view.profile, view.figures
        return cls(
            customer_id=p.customer_id,
            as_of=day_date(p.windows_on),
            kind=p.kind,
            home_branch=p.home_branch,
            lifecycle_stage=p.stage,
            first_seen_at=p.first_seen_at,
            first_activity_at=p.first_transaction_at,
            last_activity_at=p.last_transaction_at,
            active_days=p.active_days,
            products=[x for x in p.products.split(",") if x],
            product_kinds=[x for x in p.product_kinds.split(",") if x],
            balances=_balances(view),
            activity=_activity(view),
            periods=[PeriodRead.from_domain(period) for period in view.periods],
            rfm=_rfm(f),
            abc_class=f["abc_class"],
            tier=TierRead(tier=f["tier"], borderline=f["pb_borderline"], stable=f["pb_stable"]),
            categories=list(f["categories"]),
            clv=_clv(view, horizon_months),
            segments=[SegmentRef(id=i, name=n) for i, n in view.segments],
        )


def _activity(view: CustomerValueView) -> dict[str, ActivityRead]:
    return {
        w: ActivityRead(
            txn_count=int(view.windows[w]["txn_count"]),
            txn_amount=view.windows[w]["txn_amount"],
            fee_income=view.windows[w]["fee_income"],
            cost_to_serve=view.windows[w]["cost_to_serve"],
            contribution=view.figures[window_column("contribution", w)],
        )
        for w in WINDOWS
    }


def _rfm(f: dict[str, Any]) -> RfmRead:
    recency = _number(f["recency_days"])
    return RfmRead(
        recency_days=None if recency is None else int(recency),
        recency=f["rfm_r"],
        frequency=f["rfm_f"],
        monetary=f["rfm_m"],
        code=f["rfm_code"],
    )


def _balances(view: CustomerValueView) -> BalancesRead | None:
    p = view.profile
    if p.balances is None or p.balance_as_of is None:
        return None
    b = p.balances
    return BalancesRead(
        as_of=p.balance_as_of,
        deposits=b.deposits,
        investments=b.investments,
        loans_outstanding=b.loans_outstanding,
        financial_assets=b.financial_assets,
    )


def _clv(view: CustomerValueView, horizon_months: int) -> ClvRead | None:
    f = view.figures
    if view.model_version is None or _number(f["clv"]) is None:
        return None
    return ClvRead(
        model_version=view.model_version,
        horizon_months=horizon_months,
        p_alive=f["p_alive"],
        expected_transactions=f["expected_transactions"],
        value=f["clv"],
    )


class ClvFit(BaseModel):
    """Fit the CLV models on every transaction held."""

    calibration_end: dt.date | None = Field(
        default=None, description="Fit on transactions up to this day (default: all)."
    )
    time_unit: Literal["week", "day"] = "week"


class BgNbdRead(BaseModel):
    """Fitted BG/NBD parameters."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float


class GammaGammaRead(BaseModel):
    """Fitted Gamma-Gamma parameters."""

    p: float
    q: float
    gamma: float


class ClvFitRead(BaseModel):
    """The fitted model version (now the current one)."""

    model_version: str
    fitted_at: dt.datetime
    calibration_end: dt.date | None
    time_unit: Literal["week", "day"]
    customers: int
    bgnbd: BgNbdRead
    gamma_gamma: GammaGammaRead
