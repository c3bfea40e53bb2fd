"""Figures computed column-wise from the valuation's input frame (one row per customer).

Contribution per window (with time-weighted average balances), CLV predictions from the profile's
purchase-day summary, and the profile columns rule segments read, by catalogue name.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from services.segmentation.domain.activity import ALL, WINDOW_DAYS, WINDOWS, window_column
from services.segmentation.domain.clv import (
    BgNbdParams,
    GammaGammaParams,
    RfmSummary,
    predict,
)
from services.segmentation.domain.clv_summary import DAYS_PER_UNIT
from services.segmentation.domain.contribution import (
    ContributionParams,
    compute_contribution_batch,
)
from services.segmentation.domain.vocabulary import NO_CODE, FloatArray

CUSTOMER_TYPES = {"person": "individual", "organization": "corporate"}
CLV_COLUMNS = ("clv", "p_alive", "expected_transactions")


def floats(frame: pl.DataFrame, column: str, default: float = 0.0) -> FloatArray:
    """A column as float64, nulls as ``default``."""
    series = frame.get_column(column)
    if series.dtype.is_numeric() and not series.null_count():
        # Straight to numpy: each polars Series operation runs a query, too dear per batch.
        return series.to_numpy().astype(np.float64, copy=False)
    series = series.cast(pl.Float64).fill_null(default)
    return series.to_numpy().astype(np.float64, copy=False)


def codes(labels: pl.Series, order: tuple[Any, ...]) -> Any:
    """Labels as small integer codes (index in ``order``; `NO_CODE` for null or unknown)."""
    mapping = {str(member): code for code, member in enumerate(order)}
    if labels.len() <= _FEW:
        values = (mapping.get(value, NO_CODE) for value in labels.cast(pl.String).to_list())
        return np.fromiter(values, dtype=np.int8, count=labels.len())
    coded = labels.cast(pl.String).replace_strict(mapping, default=NO_CODE, return_dtype=pl.Int8)
    return coded.fill_null(NO_CODE).to_numpy()


def labels(codes: Any, order: tuple[Any, ...]) -> pl.Series:
    """Integer codes back to labels."""
    if len(codes) <= _FEW:
        names = np.array([*(str(member) for member in order), None], dtype=object)
        return pl.Series(names[codes].tolist(), dtype=pl.String)  # NO_CODE (-1) is None
    mapping = {code: str(member) for code, member in enumerate(order)}
    return pl.Series(codes).replace_strict(mapping, default=None, return_dtype=pl.String)


# A polars query costs ~0.3 ms however small its frame: settling a consumer batch maps its few
# thousand customers' labels in Python instead.
_FEW = 20_000


def _window_days(inputs: pl.DataFrame, window: str, today: int) -> FloatArray:
    if window != ALL:
        return np.full(inputs.height, float(WINDOW_DAYS[window]))
    first = floats(inputs, "first_activity_day", default=float(today))
    return np.maximum(today - first + 1.0, 1.0)


def _average_balance(inputs: pl.DataFrame, kind: str, window: str, today: int) -> FloatArray:
    """Vector form of `activity.average_balance` for ``deposit`` or ``loan`` balances."""
    total = floats(inputs, window_column(f"{kind}_delta", ALL))
    inside = floats(inputs, window_column(f"{kind}_delta", window))
    moment = floats(inputs, window_column(f"{kind}_moment", window))
    days = _window_days(inputs, window, today)
    return (total - inside) + ((today + 1.0) * inside - moment) / days


def contribution(
    inputs: pl.DataFrame, window: str, today: int, params: ContributionParams
) -> FloatArray:
    """Contribution of every customer over ``window`` ending today."""
    batch = compute_contribution_batch(
        days=_window_days(inputs, window, today),
        fee_income=floats(inputs, window_column("fee_income", window)),
        avg_deposit_balance=_average_balance(inputs, "deposit", window, today),
        avg_loan_balance=_average_balance(inputs, "loan", window, today),
        txn_counts={},
        carried_counts={},
        carried_cost=floats(inputs, window_column("cost_to_serve", window)),
        params=params,
    )
    return batch.total


def no_clv(n: int) -> dict[str, FloatArray]:
    """CLV columns of ``n`` customers without predictions (NaN)."""
    return {name: np.full(n, np.nan) for name in CLV_COLUMNS}


def clv_predictions(
    inputs: pl.DataFrame,
    today: int,
    *,
    bgnbd: BgNbdParams,
    spend: GammaGammaParams,
    months: int,
    monthly_discount_rate: float,
) -> dict[str, FloatArray]:
    """Predictions of a CLV model for customers with a transaction (NaN for others)."""
    out = no_clv(inputs.height)
    buyers = np.flatnonzero(floats(inputs, "active_days") > 0)
    if buyers.size == 0:
        return out
    summary = _summary(inputs, buyers, today, bgnbd.time_unit)
    predicted = predict(
        bgnbd, spend, summary, months=months, monthly_discount_rate=monthly_discount_rate
    )
    out["p_alive"][buyers] = predicted.p_alive
    out["expected_transactions"][buyers] = predicted.expected_transactions
    out["clv"][buyers] = predicted.clv
    return out


def _summary(inputs: pl.DataFrame, rows: Any, today: int, unit: Any) -> RfmSummary:
    """The BG/NBD summary of customers at `rows`, observed until today, from their profile."""
    first = floats(inputs, "first_day")[rows]
    last = floats(inputs, "last_day")[rows]
    frequency = (floats(inputs, "active_days")[rows] - 1).astype(np.int64)
    spend = floats(inputs, window_column("txn_amount", ALL))[rows]
    repeat_spend = spend - floats(inputs, "first_day_amount")[rows]
    monetary = np.zeros(rows.size)
    np.divide(repeat_spend, frequency, out=monetary, where=frequency > 0)
    per_unit = DAYS_PER_UNIT[unit]
    recency = np.where(frequency > 0, (last - first) / per_unit, 0.0)
    age = np.maximum((today - first) / per_unit, recency)  # a future-dated day ages nobody
    return RfmSummary(
        customer_id=inputs["customer_id"].to_numpy()[rows],
        frequency=frequency,
        recency=recency,
        T=age,
        monetary_value=np.maximum(monetary, 0.0),
        time_unit=unit,
    )


def _split(column: str) -> pl.Expr:
    text = pl.col(column).fill_null("")
    return (
        pl.when(text == "")
        .then(pl.lit([], dtype=pl.List(pl.String)))
        .otherwise(text.str.split(","))
    )


def record_columns(inputs: pl.DataFrame, today: int) -> pl.DataFrame:
    """The profile attributes and window sums rule segments read, by catalogue name."""
    windows = [
        window_column(f, w)
        for w in WINDOWS
        for f in ("txn_count", "txn_amount", "fee_income")
        if window_column(f, w) in inputs.columns  # a recompute reads only what is used
    ]
    return inputs.select(
        pl.col("customer_id"),
        pl.col("kind").replace_strict(CUSTOMER_TYPES, default=None).alias("customer_type"),
        pl.col("home_branch").alias("home_branch_id"),
        (pl.lit(today) - pl.col("tenure_start_day")).cast(pl.Float64).alias("tenure_days"),
        pl.col("stage").alias("lifecycle_stage"),
        *(pl.col(c).cast(pl.Float64) for c in windows),
        *(
            pl.col(c).cast(pl.Float64)
            for c in ("financial_assets", "deposits", "investments", "loans_outstanding")
        ),
        _split("products").alias("products"),
        _split("product_kinds").alias("product_kinds"),
    )
