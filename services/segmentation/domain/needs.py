"""Which window sums a batch valuation reads: what its figures and the segments in use need.

A profile holds 32 window sums (eight fields, four windows); reading them all for a million
customers is most of a recompute's read. The valuation needs the contribution of the ABC window
(its basis), the RFM window's count and amount, the spend of all time (CLV) and the balances
(every window's average balance starts from them); rule segments may read more. The
valuation computes a window's contribution only when its sums are all there (`has_window`).
"""

from __future__ import annotations

from collections.abc import Iterable

from services.segmentation.domain.activity import ALL, WINDOWS, window_column
from services.segmentation.domain.rules import Node, referenced_columns

CONTRIBUTION_FIELDS = (
    "fee_income",
    "cost_to_serve",
    "deposit_delta",
    "deposit_moment",
    "loan_delta",
    "loan_moment",
)
RULE_FIELDS = ("txn_count", "txn_amount", "fee_income")  # window sums rules read as they are


def contribution_columns(window: str) -> tuple[str, ...]:
    """The window sums the contribution over ``window`` is computed from."""
    return tuple(window_column(field, window) for field in CONTRIBUTION_FIELDS)


def has_window(columns: Iterable[str], window: str) -> bool:
    """Whether ``columns`` hold what the contribution over ``window`` needs."""
    return set(contribution_columns(window)) <= set(columns)


def needed_window_sums(
    definitions: Iterable[Node], *, abc_window: str, rfm_window: str
) -> frozenset[str]:
    """The window-sum columns a batch valuation and the given segments read."""
    read = set().union(*(referenced_columns(node) for node in definitions))
    windows = {abc_window} | {w for w in WINDOWS if window_column("contribution", w) in read}
    needed = {c for w in windows for c in contribution_columns(w)}
    needed |= {window_column(f, ALL) for f in ("deposit_delta", "loan_delta", "txn_amount")}
    needed |= {window_column(f, rfm_window) for f in ("txn_count", "txn_amount")}
    needed |= {window_column(f, w) for f in RULE_FIELDS for w in WINDOWS} & read
    return frozenset(needed)
