"""CLV math on small hand-made logs: summary semantics, edge cases and clear errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from services.segmentation.domain.clv import (
    BgNbdParams,
    ClvDataError,
    GammaGammaParams,
    RfmSummary,
    Transactions,
    customer_lifetime_value,
    expected_average_spend,
    expected_transactions,
    fit_bgnbd,
    fit_gamma_gamma,
    probability_alive,
    summarize,
)

CDNOW_BGNBD = BgNbdParams(0.243, 4.414, 0.793, 2.426, -9582.4, 2357, "week")
CDNOW_SPEND = GammaGammaParams(6.25, 3.74, 15.44, -4055.9, 946)


def make_transactions(*rows: tuple[object, str, float]) -> Transactions:
    ids, dates, amounts = zip(*rows, strict=True)
    return Transactions(np.array(ids), np.array(dates, dtype="datetime64[D]"), np.array(amounts))


def make_summary(x: list[int], t_x: list[float], age: list[float], m: list[float]) -> RfmSummary:
    return RfmSummary(np.arange(len(x)), np.array(x), np.array(t_x), np.array(age), np.array(m))


def test_same_day_purchases_are_one_purchase_and_the_first_day_is_not_spend() -> None:
    tx = make_transactions(
        (7, "2024-01-01", 10.0),
        (7, "2024-01-01", 5.0),  # same day as the first: part of the first purchase
        (7, "2024-01-15", 20.0),
        (7, "2024-01-15", 4.0),
        (7, "2024-01-29", 30.0),
    )
    s = summarize(tx, observation_end="2024-02-05")
    assert (s.frequency[0], s.recency[0], s.T[0]) == (2, 4.0, 5.0)
    assert s.monetary_value[0] == pytest.approx((24.0 + 30.0) / 2)


def test_one_purchase_customer_is_certainly_alive_and_may_come_back() -> None:
    s = summarize(make_transactions((1, "2024-01-01", 9.0), (2, "2024-03-01", 5.0)))
    assert s.frequency.tolist() == [0, 0]
    assert s.recency.tolist() == [0.0, 0.0] and s.monetary_value.tolist() == [0.0, 0.0]
    assert s.T.tolist() == [60 / 7, 0.0]  # T runs to the last transaction day by default
    assert probability_alive(CDNOW_BGNBD, s).tolist() == [1.0, 1.0]
    assert np.all(expected_transactions(CDNOW_BGNBD, s, horizon=52.0) > 0)


def test_calibration_end_drops_later_purchases_and_later_customers() -> None:
    tx = make_transactions(
        ("b", "2024-01-01", 1.0), ("b", "2024-02-01", 2.0), ("a", "2024-02-26", 3.0)
    )
    s = summarize(tx, calibration_end="2024-01-29", time_unit="day")
    assert s.customer_id.tolist() == ["b"]
    assert (s.frequency[0], s.T[0], s.time_unit) == (0, 28.0, "day")


def test_string_and_integer_ids_give_the_same_summary() -> None:
    rng = np.random.default_rng(4)
    ids = rng.integers(0, 50, 400)
    dates = np.datetime64("2024-01-01") + rng.integers(0, 90, 400).astype("timedelta64[D]")
    amounts = rng.gamma(2.0, 10.0, 400)
    by_int = summarize(Transactions(ids, dates, amounts))
    by_str = summarize(Transactions(np.char.zfill(ids.astype(str), 3), dates, amounts))
    assert by_str.customer_id.astype(int).tolist() == by_int.customer_id.tolist()
    for name in ("frequency", "recency", "T", "monetary_value"):
        np.testing.assert_allclose(getattr(by_str, name), getattr(by_int, name), rtol=1e-12)


def test_zero_spend_repeat_buyer_is_left_out_of_the_spend_fit_but_still_valued() -> None:
    rng = np.random.default_rng(7)
    x = rng.integers(1, 8, 300)
    # Gamma-Gamma draws: each customer's mean spend nu ~ Gamma(q, gamma), purchases ~ Gamma(p, nu)
    nu = rng.gamma(3.74, 1 / 15.44, 300)
    m = rng.gamma(6.25 * x, 1.0) / (nu * x)
    m[0] = 0.0  # a repeat buyer whose repeat purchases netted to nothing
    s = make_summary(list(x), [1.0] * 300, [40.0] * 300, list(m))
    spend = fit_gamma_gamma(s)
    assert spend.n_customers == 299
    assert spend.q > 1.0
    expected = expected_average_spend(spend, s)
    population_mean = spend.gamma * spend.p / (spend.q - 1.0)
    assert 0.0 < expected[0] < population_mean  # shrunk toward the population mean, not 0


def test_no_repeat_buyers_is_a_clear_error() -> None:
    s = summarize(make_transactions((1, "2024-01-01", 9.0), (2, "2024-02-01", 5.0)))
    with pytest.raises(ClvDataError, match="repeat purchase"):
        fit_bgnbd(s)
    with pytest.raises(ClvDataError, match="repeat buyers"):
        fit_gamma_gamma(s)


@pytest.mark.parametrize(
    ("x", "t_x", "age", "message"),
    [
        ([1], [5.0], [4.0], "recency must not exceed T"),
        ([0], [1.0], [4.0], "recency must be 0"),
        ([-1], [0.0], [4.0], "must not be negative"),
    ],
)
def test_inconsistent_summary_is_rejected(
    x: list[int], t_x: list[float], age: list[float], message: str
) -> None:
    with pytest.raises(ClvDataError, match=message):
        make_summary(x, t_x, age, [0.0])


def test_bad_transactions_are_rejected() -> None:
    with pytest.raises(ClvDataError, match="datetime64"):
        Transactions(np.array([1]), np.array(["2024-01-01"]), np.array([1.0]))
    with pytest.raises(ClvDataError, match="missing"):
        make_transactions((1, "2024-01-01", float("nan")))
    with pytest.raises(ClvDataError, match="after observation_end"):
        summarize(
            make_transactions((1, "2024-01-01", 1.0)),
            calibration_end="2024-02-01",
            observation_end="2024-01-15",
        )


def test_a_model_in_weeks_refuses_a_summary_in_days() -> None:
    s = summarize(make_transactions((1, "2024-01-01", 9.0)), time_unit="day")
    with pytest.raises(ClvDataError, match="weeks"):
        probability_alive(CDNOW_BGNBD, s)


def test_one_undiscounted_month_of_clv_is_purchases_times_spend() -> None:
    s = make_summary([0, 2, 6], [0.0, 20.0, 30.0], [38.0] * 3, [0.0, 40.0, 15.0])
    clv = customer_lifetime_value(CDNOW_BGNBD, CDNOW_SPEND, s, months=1, monthly_discount_rate=0)
    month = expected_transactions(CDNOW_BGNBD, s, horizon=4.345)
    np.testing.assert_allclose(clv, month * expected_average_spend(CDNOW_SPEND, s))
    discounted = customer_lifetime_value(CDNOW_BGNBD, CDNOW_SPEND, s, months=1)
    np.testing.assert_allclose(discounted, clv / 1.01)


def test_params_round_trip_through_json() -> None:
    for params in (CDNOW_BGNBD, CDNOW_SPEND):
        stored = json.loads(json.dumps(params.to_dict()))
        assert type(params).from_dict(stored) == params
    assert CDNOW_BGNBD.to_dict()["model"] == "bgnbd"
    with pytest.raises(ClvDataError, match="not BG/NBD"):
        BgNbdParams.from_dict(CDNOW_SPEND.to_dict())
