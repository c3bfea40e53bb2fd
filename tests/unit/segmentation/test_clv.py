"""CLV math against the published CDNOW estimates and against the lifetimes package."""

from __future__ import annotations

import warnings
from importlib.resources import files

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data

from services.segmentation.domain.clv import (
    BgNbdParams,
    GammaGammaParams,
    RfmSummary,
    Transactions,
    bgnbd_log_likelihood,
    customer_lifetime_value,
    expected_average_spend,
    expected_transactions,
    fit_bgnbd,
    fit_gamma_gamma,
    probability_alive,
    summarize,
)

CALIBRATION_END = "1997-09-30"  # 39 weeks from 1997-01-01, as in Fader, Hardie & Lee (2005)
HORIZONS = (1.0, 4.345, 39.0, 52.0, 520.0)


def dataset_lines(name: str) -> list[str]:
    return (files("lifetimes") / "datasets" / name).read_text().splitlines()


def load_cdnow_sample() -> Transactions:
    """The 2,357-customer CDNOW sample, keyed by its customer index (the published IDs)."""
    raw = np.loadtxt(dataset_lines("CDNOW_sample.txt"), dtype=str)
    dates = np.array([f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in raw[:, 2]], dtype="datetime64[D]")
    return Transactions(raw[:, 1].astype(np.int64), dates, raw[:, 4].astype(np.float64))


@pytest.fixture(scope="module")
def summary() -> RfmSummary:
    return summarize(load_cdnow_sample(), calibration_end=CALIBRATION_END)


@pytest.fixture(scope="module")
def bgnbd(summary: RfmSummary) -> BgNbdParams:
    return fit_bgnbd(summary)


@pytest.fixture(scope="module")
def spend(summary: RfmSummary) -> GammaGammaParams:
    return fit_gamma_gamma(summary)


@pytest.fixture(scope="module")
def lifetimes_summary() -> pd.DataFrame:
    tx = load_cdnow_sample()
    frame = pd.DataFrame({"id": tx.customer_id, "date": tx.date, "amount": tx.amount})
    # Days divided by 7: lifetimes' freq="W" would bucket into calendar weeks instead.
    result = summary_data_from_transaction_data(
        frame,
        "id",
        "date",
        "amount",
        observation_period_end=CALIBRATION_END,
        freq="D",
        freq_multiplier=7,
    )
    return result.sort_index()


def test_summary_matches_the_published_cdnow_summary(summary: RfmSummary) -> None:
    lines = dataset_lines("cdnow_customers_summary_with_transactions.csv")
    published = np.loadtxt(lines, delimiter=",", skiprows=1)  # ID, x, t_x, T, zbar; 2 decimals
    assert summary.customer_id.tolist() == published[:, 0].astype(int).tolist()
    np.testing.assert_array_equal(summary.frequency, published[:, 1])
    np.testing.assert_allclose(summary.recency, published[:, 2], atol=0.005)
    np.testing.assert_allclose(summary.T, published[:, 3], atol=0.005)
    np.testing.assert_allclose(summary.monetary_value, published[:, 4], atol=0.005 + 1e-9)


def test_summary_matches_lifetimes(summary: RfmSummary, lifetimes_summary: pd.DataFrame) -> None:
    assert summary.customer_id.tolist() == lifetimes_summary.index.tolist()
    np.testing.assert_array_equal(summary.frequency, lifetimes_summary["frequency"])
    np.testing.assert_array_equal(summary.recency, lifetimes_summary["recency"])
    np.testing.assert_array_equal(summary.T, lifetimes_summary["T"])
    np.testing.assert_allclose(summary.monetary_value, lifetimes_summary["monetary_value"], 1e-12)


def test_bgnbd_reproduces_the_published_cdnow_estimates(bgnbd: BgNbdParams) -> None:
    assert (round(bgnbd.r, 3), round(bgnbd.alpha, 3)) == (0.243, 4.414)
    assert (round(bgnbd.a, 3), round(bgnbd.b, 3)) == (0.793, 2.426)
    assert round(bgnbd.log_likelihood, 1) == -9582.4
    assert (bgnbd.n_customers, bgnbd.time_unit) == (2357, "week")


def test_log_likelihood_at_the_published_parameters(summary: RfmSummary) -> None:
    assert bgnbd_log_likelihood(0.243, 4.414, 0.793, 2.426, summary) == pytest.approx(
        -9582.4, abs=0.05
    )


def test_gamma_gamma_reproduces_the_published_cdnow_estimates(spend: GammaGammaParams) -> None:
    assert (round(spend.p, 2), round(spend.q, 2), round(spend.gamma, 2)) == (6.25, 3.74, 15.44)
    assert spend.n_customers == 946  # the repeat buyers of the calibration period


def test_fits_agree_with_lifetimes_fits(
    bgnbd: BgNbdParams, spend: GammaGammaParams, lifetimes_summary: pd.DataFrame
) -> None:
    ls = lifetimes_summary
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs_bg = BetaGeoFitter().fit(ls["frequency"], ls["recency"], ls["T"]).params_
        repeat = ls[ls["frequency"] > 0]
        theirs_gg = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary_value"]).params_
    ours = [bgnbd.r, bgnbd.alpha, bgnbd.a, bgnbd.b, spend.p, spend.q, spend.gamma]
    np.testing.assert_allclose(ours, [*theirs_bg.to_numpy(), *theirs_gg.to_numpy()], rtol=1e-4)


def lifetimes_models(
    bgnbd: BgNbdParams, spend: GammaGammaParams
) -> tuple[BetaGeoFitter, GammaGammaFitter]:
    """lifetimes fitters carrying our parameters, to compare the prediction formulas."""
    bg, gg = BetaGeoFitter(), GammaGammaFitter()
    bg.params_ = pd.Series({"r": bgnbd.r, "alpha": bgnbd.alpha, "a": bgnbd.a, "b": bgnbd.b})
    gg.params_ = pd.Series({"p": spend.p, "q": spend.q, "v": spend.gamma})
    bg.predict = bg.conditional_expected_number_of_purchases_up_to_time
    return bg, gg


def test_predictions_match_lifetimes(
    summary: RfmSummary,
    bgnbd: BgNbdParams,
    spend: GammaGammaParams,
    lifetimes_summary: pd.DataFrame,
) -> None:
    bg, gg = lifetimes_models(bgnbd, spend)
    x, t_x, age = (lifetimes_summary[c] for c in ("frequency", "recency", "T"))
    m = lifetimes_summary["monetary_value"]
    np.testing.assert_allclose(
        probability_alive(bgnbd, summary), bg.conditional_probability_alive(x, t_x, age), 1e-6
    )
    for horizon in HORIZONS:
        theirs = bg.conditional_expected_number_of_purchases_up_to_time(horizon, x, t_x, age)
        ours = expected_transactions(bgnbd, summary, horizon=horizon)
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    np.testing.assert_allclose(
        expected_average_spend(spend, summary), gg.conditional_expected_average_profit(x, m), 1e-6
    )
    for months, rate in ((12, 0.01), (3, 0.0), (24, 0.05)):
        theirs = gg.customer_lifetime_value(bg, x, t_x, age, m, months, rate, freq="W")
        ours = customer_lifetime_value(
            bgnbd, spend, summary, months=months, monthly_discount_rate=rate
        )
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


def test_expected_transactions_stay_finite_for_very_frequent_buyers(bgnbd: BgNbdParams) -> None:
    # The textbook 2F1(r+x, b+x; a+b+x-1; z) overflows here; lifetimes needs a fallback.
    x, age = np.array([50, 500, 3000]), np.full(3, 38.86)
    summary = RfmSummary(np.arange(3), x, age, age, np.ones(3))  # all bought on their last day
    bg, _ = lifetimes_models(bgnbd, GammaGammaParams(1.0, 2.0, 1.0, 0.0, 1))
    for horizon in (39.0, 5200.0):
        ours = expected_transactions(bgnbd, summary, horizon=horizon)
        theirs = bg.conditional_expected_number_of_purchases_up_to_time(horizon, x, age, age)
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
        assert np.all(np.isfinite(ours)) and np.all(np.diff(ours) > 0)
