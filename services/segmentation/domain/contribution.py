"""Customer contribution (客户贡献度) per customer and period.

    contribution = fee_income
                 + avg_deposit_balance × (ftp_rate − deposit_rate) × days / 365
                 + avg_loan_balance × (loan_rate − ftp_rate − loan_expected_loss_rate) × days / 365
                 − cost_to_serve

    cost_to_serve = Σ_channel unit_cost(channel) × transactions(channel) + Σ carried costs

* Rates are annual; the margin is prorated by the period's length in days (``days_per_year``).
  The funds transfer price (FTP) is what the treasury pays for deposits and charges for the
  funds behind loans, so deposits earn the spread above what the customer is paid and loans
  earn the spread above the FTP, less the expected credit loss.
* Balances are time-weighted average balances over the period (`BalanceAccrual`): a balance
  holds from its snapshot until the next one, and is 0 before the first.
* ``unit_cost(channel)`` comes from ``channel_unit_costs`` (``default_unit_cost`` for a channel
  not listed). A transaction event may carry its own ``cost_to_serve``; by default that is added
  to the channel's unit cost, and with ``carried_cost_replaces_unit_cost`` it replaces it (use
  that when core banking's figure is the full cost of the transaction, to avoid counting twice).
  The per-channel counts are kept rather than a costed sum, so re-pricing a channel takes effect
  on the next computation without replaying events.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np

from services.segmentation.domain.errors import InvalidParametersError
from services.segmentation.domain.vocabulary import FloatArray

DEFAULT_CHANNEL_UNIT_COSTS: Mapping[str, float] = MappingProxyType(
    {
        "branch": 12.0,  # teller time dominates; an order of magnitude above self-service
        "call_center": 5.0,
        "phone_banking": 1.5,
        "atm": 2.0,
        "pos": 0.3,
        "online_banking": 0.5,
        "mobile_banking": 0.3,
        "wechat": 0.3,
    }
)


@dataclass(frozen=True, slots=True)
class ContributionParams:
    """Configurable rates (annual, as fractions) and unit costs (yuan per transaction)."""

    ftp_rate: float = 0.022
    deposit_rate: float = 0.012
    loan_rate: float = 0.038
    loan_expected_loss_rate: float = 0.0
    channel_unit_costs: Mapping[str, float] = field(
        default_factory=lambda: DEFAULT_CHANNEL_UNIT_COSTS
    )
    default_unit_cost: float = 1.0
    carried_cost_replaces_unit_cost: bool = False
    days_per_year: int = 365

    def __post_init__(self) -> None:
        rates = (self.ftp_rate, self.deposit_rate, self.loan_rate, self.loan_expected_loss_rate)
        if not all(math.isfinite(r) and -1.0 < r < 1.0 for r in rates):
            raise InvalidParametersError("rates must be finite annual fractions in (-1, 1)")
        costs = [self.default_unit_cost, *self.channel_unit_costs.values()]
        if not all(math.isfinite(c) and c >= 0 for c in costs):
            raise InvalidParametersError("unit costs must be finite and >= 0")
        if self.days_per_year <= 0:
            raise InvalidParametersError("days_per_year must be positive")

    @property
    def deposit_spread(self) -> float:
        """Annual margin the bank earns per yuan of average deposit balance."""
        return self.ftp_rate - self.deposit_rate

    @property
    def loan_spread(self) -> float:
        """Annual margin the bank earns per yuan of average loan balance."""
        return self.loan_rate - self.ftp_rate - self.loan_expected_loss_rate

    def unit_cost(self, channel: str) -> float:
        """Cost of serving one transaction on `channel`."""
        return self.channel_unit_costs.get(channel, self.default_unit_cost)


@dataclass(frozen=True, slots=True)
class PeriodActivity:
    """What the service keeps per customer and period to compute its contribution."""

    days: int
    fee_income: float = 0.0
    avg_deposit_balance: float = 0.0
    avg_loan_balance: float = 0.0
    txn_counts: Mapping[str, int] = field(default_factory=dict)  # every transaction, by channel
    carried_counts: Mapping[str, int] = field(default_factory=dict)  # those carrying a cost
    carried_cost: float = 0.0  # sum of the costs carried by transaction events


@dataclass(frozen=True, slots=True)
class Contribution:
    """A period's contribution and its parts (yuan); `total` is the contribution."""

    fee_income: float
    deposit_margin: float
    loan_margin: float
    cost_to_serve: float

    @property
    def total(self) -> float:
        """Fee income plus margins minus cost to serve."""
        return self.fee_income + self.deposit_margin + self.loan_margin - self.cost_to_serve


@dataclass(frozen=True, slots=True, eq=False)
class ContributionBatch:
    """Contributions of many customers, one array element per customer."""

    fee_income: FloatArray
    deposit_margin: FloatArray
    loan_margin: FloatArray
    cost_to_serve: FloatArray

    @property
    def total(self) -> FloatArray:
        """Fee income plus margins minus cost to serve, per customer."""
        return self.fee_income + self.deposit_margin + self.loan_margin - self.cost_to_serve


def add_transaction(
    activity: PeriodActivity,
    *,
    channel: str,
    fee_income: float = 0.0,
    cost_to_serve: float | None = None,
) -> PeriodActivity:
    """Fold one posted transaction into the period's activity."""
    counts = dict(activity.txn_counts)
    counts[channel] = counts.get(channel, 0) + 1
    if cost_to_serve is None:
        return replace(activity, fee_income=activity.fee_income + fee_income, txn_counts=counts)
    carried = dict(activity.carried_counts)
    carried[channel] = carried.get(channel, 0) + 1
    return replace(
        activity,
        fee_income=activity.fee_income + fee_income,
        txn_counts=counts,
        carried_counts=carried,
        carried_cost=activity.carried_cost + cost_to_serve,
    )


def transaction_cost(
    params: ContributionParams, *, channel: str, carried: float | None = None
) -> float:
    """Cost to serve one transaction, priced now: what `compute_contribution` would charge it.

    The channel's unit cost, plus the cost the event carries (or instead of it, with
    ``carried_cost_replaces_unit_cost``). For callers that keep costed sums rather than
    per-channel counts; a later change of unit costs then applies to later transactions.
    """
    unit = params.unit_cost(channel)
    if carried is None:
        return unit
    return carried if params.carried_cost_replaces_unit_cost else unit + carried


def compute_contribution(activity: PeriodActivity, params: ContributionParams) -> Contribution:
    """Contribution of one customer over one period."""
    years = activity.days / params.days_per_year
    return Contribution(
        fee_income=activity.fee_income,
        deposit_margin=activity.avg_deposit_balance * params.deposit_spread * years,
        loan_margin=activity.avg_loan_balance * params.loan_spread * years,
        cost_to_serve=_cost_to_serve(activity, params),
    )


def _cost_to_serve(activity: PeriodActivity, params: ContributionParams) -> float:
    cost = activity.carried_cost
    for channel, count in activity.txn_counts.items():
        priced = count
        if params.carried_cost_replaces_unit_cost:
            priced -= activity.carried_counts.get(channel, 0)
        cost += params.unit_cost(channel) * priced
    return cost


def compute_contribution_batch(
    *,
    days: FloatArray,
    fee_income: FloatArray,
    avg_deposit_balance: FloatArray,
    avg_loan_balance: FloatArray,
    txn_counts: Mapping[str, FloatArray],
    carried_counts: Mapping[str, FloatArray],
    carried_cost: FloatArray,
    params: ContributionParams,
) -> ContributionBatch:
    """Contributions of many customers at once; the same answers as `compute_contribution`."""
    years = np.asarray(days, dtype=np.float64) / params.days_per_year
    cost = np.array(carried_cost, dtype=np.float64, copy=True)
    for channel, counts in txn_counts.items():
        priced = np.asarray(counts, dtype=np.float64)
        if params.carried_cost_replaces_unit_cost and channel in carried_counts:
            priced = priced - carried_counts[channel]
        cost += params.unit_cost(channel) * priced
    return ContributionBatch(
        fee_income=np.asarray(fee_income, dtype=np.float64),
        deposit_margin=avg_deposit_balance * params.deposit_spread * years,
        loan_margin=avg_loan_balance * params.loan_spread * years,
        cost_to_serve=cost,
    )


@dataclass(frozen=True, slots=True)
class BalanceAccrual:
    """Running balance-days of one balance (deposits or loans) over a period."""

    period_start: dt.date
    as_of: dt.date  # date of the balance in effect
    balance: float = 0.0
    balance_days: float = 0.0  # ∫ balance dt from period_start to as_of


def start_accrual(period_start: dt.date, *, opening_balance: float = 0.0) -> BalanceAccrual:
    """A period's accrual, with the balance carried over from the previous period."""
    return BalanceAccrual(period_start=period_start, as_of=period_start, balance=opening_balance)


def accrue_balance(acc: BalanceAccrual, *, as_of: dt.date, balance: float) -> BalanceAccrual:
    """Fold a balance snapshot; a snapshot older than the last one is ignored (stale)."""
    if as_of < acc.as_of:
        return acc
    elapsed = (as_of - acc.as_of).days
    return replace(
        acc, as_of=as_of, balance=balance, balance_days=acc.balance_days + acc.balance * elapsed
    )


def average_balance(acc: BalanceAccrual, *, period_end: dt.date) -> float:
    """Time-weighted average balance from the period start up to `period_end` (exclusive)."""
    days = (period_end - acc.period_start).days
    if days <= 0:
        return acc.balance
    tail = max((period_end - acc.as_of).days, 0)
    return (acc.balance_days + acc.balance * tail) / days
