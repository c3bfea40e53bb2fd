"""The valuation: a few customers between batches get the answers the batch gives them."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import polars as pl
import pytest

from services.segmentation.adapters.frames import inputs_from_profiles
from services.segmentation.domain import valuation as valuation_module
from services.segmentation.domain.activity import DayDelta, day_date, epoch_day
from services.segmentation.domain.clv import (
    Transactions,
    expected_transactions,
    fit_bgnbd,
    fit_gamma_gamma,
    probability_alive,
    summarize,
)
from services.segmentation.domain.profile import (
    Balances,
    Profile,
    balance_change,
    fold_latest_balances,
    fold_transaction,
)
from services.segmentation.domain.valuation import (
    ClvModel,
    Figures,
    ValuationParams,
    valuate,
)

TODAY = epoch_day(dt.date(2026, 6, 30))
STAGES = [None, "development", "growth", "maturity", "decline"]
CHANNELS = {"branch": 12.0, "mobile_banking": 0.3, "atm": 2.0}


def population(n: int, seed: int = 11) -> tuple[list[Profile], list[tuple[str, int, float]]]:
    """Profiles folded from random transactions and balances, and the purchase log."""
    rng = random.Random(seed)
    profiles, log = [], []
    for i in range(n):
        profile = Profile(
            customer_id=f"c{i:05d}",
            first_seen_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC),
            windows_on=TODAY,
            stage=rng.choice(STAGES),
        )
        buckets: dict[int, DayDelta] = {}
        for _ in range(rng.choice([0, 1, 2, 3, 8, 20])):
            day = TODAY - rng.randrange(0, 700)
            amount = round(rng.lognormvariate(5, 1), 2)
            channel = rng.choice(list(CHANNELS))
            fold_transaction(
                profile,
                buckets.setdefault(day, DayDelta()),
                occurred_at=dt.datetime.combine(day_date(day), dt.time(9, tzinfo=dt.UTC)),
                amount=amount,
                fee_income=rng.choice([0.0, 0.0, 5.0, 300.0]),
                cost_to_serve=CHANNELS[channel],
            )
            log.append((profile.customer_id, day, amount))
        if rng.random() < 0.7:
            assets = rng.lognormvariate(12, 1.8)
            new = Balances(deposits=assets * 0.6, financial_assets=assets)
            profile.add_day(TODAY - 40, balance_change(new, None))
            fold_latest_balances(profile, as_of=day_date(TODAY - 40), balances=new)
        profiles.append(profile)
    return profiles, log


@pytest.fixture(scope="module")
def batch() -> tuple[pl.DataFrame, pl.DataFrame, Figures, ClvModel]:
    profiles, log = population(3000)
    ids, days, amounts = zip(*log, strict=True)
    codes = np.array([int(c[1:]) for c in ids])
    dates = np.datetime64("1970-01-01") + np.array(days).astype("timedelta64[D]")
    summary = summarize(Transactions(codes, dates, np.array(amounts)))
    model = ClvModel("v1", fit_bgnbd(summary), fit_gamma_gamma(summary))
    inputs = inputs_from_profiles(profiles, {})
    valuation = valuate(inputs, ValuationParams(), today=TODAY, model=model)
    return inputs, valuation.frame, valuation.figures, model


EXACT = ["rfm_code", "abc_class", "tier", "pb_borderline", "categories"]
NUMBERS = ["contribution_30d", "contribution_365d", "contribution_all", "clv", "p_alive"]


def test_customers_valued_between_batches_get_the_batch_answers(batch) -> None:
    inputs, valued, figures, model = batch
    rows = random.Random(3).sample(range(inputs.height), 300)
    subset = inputs[rows]

    again = valuate(subset, ValuationParams(), today=TODAY, model=model, figures=figures).frame

    expected = valued[rows]
    assert again.select(EXACT).equals(expected.select(EXACT))
    for column in NUMBERS:
        np.testing.assert_allclose(again[column], expected[column], rtol=1e-12, err_msg=column)
    assert sorted(valued["abc_class"].unique().to_list()) == ["A", "B", "C"]


def test_a_large_valuation_predicts_clv_on_a_thread_with_the_same_answers(
    batch, monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs, valued, _, model = batch
    monkeypatch.setattr(valuation_module, "_CLV_BESIDE_FROM", 0)  # 3,000 count as large

    again = valuate(inputs, ValuationParams(), today=TODAY, model=model).frame

    assert again.equals(valued)


def test_the_clv_summary_from_profiles_equals_the_one_from_the_transaction_log(batch) -> None:
    _, valued, _, model = batch
    _, log = population(3000)
    ids, days, amounts = zip(*log, strict=True)
    codes = np.array([int(c[1:]) for c in ids])
    dates = np.datetime64("1970-01-01") + np.array(days).astype("timedelta64[D]")
    summary = summarize(
        Transactions(codes, dates, np.array(amounts)), observation_end=str(day_date(TODAY))
    )
    buyers = valued.filter(pl.col("p_alive").is_not_nan())

    assert buyers.height == summary.size
    np.testing.assert_allclose(buyers["p_alive"], probability_alive(model.bgnbd, summary))
    horizon = 12 * 4.345
    np.testing.assert_allclose(
        buyers["expected_transactions"],
        expected_transactions(model.bgnbd, summary, horizon=horizon),
    )


def test_contribution_is_fees_plus_margins_minus_costs() -> None:
    profile = Profile(
        customer_id="c", first_seen_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), windows_on=TODAY
    )
    bucket = DayDelta()
    fold_transaction(
        profile,
        bucket,
        occurred_at=dt.datetime.combine(day_date(TODAY - 5), dt.time(tzinfo=dt.UTC)),
        amount=1000.0,
        fee_income=40.0,
        cost_to_serve=12.0,
    )
    held = Balances(deposits=365_000.0, financial_assets=365_000.0)
    profile.add_day(TODAY - 400, balance_change(held, None))  # held all year

    valued = valuate(inputs_from_profiles([profile], {}), ValuationParams(), today=TODAY).frame

    # 365,000 x (2.2 % FTP - 1.2 % paid) over the year = 3,650, plus 40 fees, less 12 cost
    assert valued["contribution_365d"][0] == pytest.approx(3650.0 + 40.0 - 12.0)
    assert valued["contribution_30d"][0] == pytest.approx(300.0 + 40.0 - 12.0)


def test_population_predictions_equal_the_one_by_one_clv_functions() -> None:
    from importlib.resources import files

    from services.segmentation.domain.clv import (
        customer_lifetime_value,
        predict,
    )

    path = files("lifetimes") / "datasets" / "CDNOW_sample.txt"
    raw = np.loadtxt(path.read_text().splitlines(), dtype=str)
    dates = np.array([f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in raw[:, 2]], "datetime64[D]")
    log = Transactions(raw[:, 1].astype(np.int64), dates, raw[:, -1].astype(np.float64))
    summary = summarize(log, calibration_end="1997-09-30")
    bgnbd, spend = fit_bgnbd(summary), fit_gamma_gamma(summary)

    predicted = predict(bgnbd, spend, summary, months=12, monthly_discount_rate=0.01)

    np.testing.assert_allclose(predicted.p_alive, probability_alive(bgnbd, summary))
    np.testing.assert_allclose(
        predicted.expected_transactions,
        expected_transactions(bgnbd, summary, horizon=12 * 4.345),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        predicted.clv, customer_lifetime_value(bgnbd, spend, summary, months=12), rtol=1e-10
    )
