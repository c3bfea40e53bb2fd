"""Benchmark the CLV fits against lifetimes on the CDNOW data: `python -m bench.bench_clv`.

Both sides fit the same 39-week calibration summary (ours, which equals lifetimes' own summary
with freq="D", freq_multiplier=7). Times are the best of a few repeats of each whole fit; the
lifetimes fit includes the Hessian it always computes for standard errors.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import numpy as np

from services.segmentation.domain.clv import (
    RfmSummary,
    Transactions,
    fit_bgnbd,
    fit_gamma_gamma,
    summarize,
)

CALIBRATION_END = "1997-09-30"
REPEATS = 7
PARAM_TOLERANCE = 0.005  # relative
TIME_RATIO_GOAL = 0.5  # ours / lifetimes

# (file name, rows to skip, column of customer id, column of date)
DATASETS = {
    "CDNOW sample": ("CDNOW_sample.txt", 0, 1, 2),
    "CDNOW master": ("CDNOW_master.txt", 1, 0, 1),
}


@dataclass
class Row:
    """One model fitted on one dataset by both implementations."""

    dataset: str
    model: str
    names: list[str]
    ours: list[float]
    theirs: list[float]
    ours_s: float
    theirs_s: float

    @property
    def max_rel_diff(self) -> float:
        ours, theirs = np.array(self.ours), np.array(self.theirs)
        return float(np.max(np.abs(ours - theirs) / np.abs(theirs)))


def load(name: str, skip: int, id_col: int, date_col: int) -> Transactions | None:
    """A CDNOW transaction file shipped with lifetimes, or None when it is not there."""
    path = files("lifetimes") / "datasets" / name
    if not path.is_file():
        return None
    raw = np.loadtxt(path.read_text().splitlines()[skip:], dtype=str)
    dates = np.array([f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in raw[:, date_col]], "datetime64[D]")
    return Transactions(raw[:, id_col].astype(np.int64), dates, raw[:, -1].astype(np.float64))


def best_time(fit: Callable[[], Any], repeats: int = REPEATS) -> tuple[Any, float]:
    """The result of `fit` and its best wall time over `repeats` runs."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fit()
        times.append(time.perf_counter() - start)
    return result, min(times)


def lifetimes_fits(s: RfmSummary) -> tuple[tuple[Any, float], tuple[Any, float]]:
    """BetaGeoFitter and GammaGammaFitter on the same summary, with their best times."""
    from lifetimes import BetaGeoFitter, GammaGammaFitter  # bench-only dependency

    x, t_x, age = s.frequency.astype(float), s.recency, s.T
    # lifetimes refuses non-positive spend; ours leaves those customers out, so do the same
    rep = (s.frequency > 0) & (s.monetary_value > 0)
    bg = best_time(lambda: BetaGeoFitter().fit(x, t_x, age).params_)
    gg = best_time(lambda: GammaGammaFitter().fit(x[rep], s.monetary_value[rep]).params_)
    return bg, gg


def bench_summary(label: str, tx: Transactions) -> None:
    """Print the time to summarize the log, ours against lifetimes' pandas version."""
    import pandas as pd  # bench-only dependency
    from lifetimes.utils import summary_data_from_transaction_data

    frame = pd.DataFrame({"id": tx.customer_id, "date": tx.date, "amount": tx.amount})
    args = (frame, "id", "date", "amount")
    kwargs = {"observation_period_end": CALIBRATION_END, "freq": "D", "freq_multiplier": 7}
    _, ours = best_time(lambda: summarize(tx, calibration_end=CALIBRATION_END), 3)
    _, theirs = best_time(lambda: summary_data_from_transaction_data(*args, **kwargs), 3)
    rows = f"{tx.customer_id.size:,} rows"
    print(f"summarize {label} ({rows}): ours {ours:.4f} s, lifetimes {theirs:.4f} s")


def bench_dataset(label: str, tx: Transactions) -> list[Row]:
    """Fit both models on one dataset with both implementations."""
    s = summarize(tx, calibration_end=CALIBRATION_END, time_unit="week")
    best_time(lambda: fit_bgnbd(s), 1)  # warm-up: first calls pay for imports and caches
    (bg, bg_s), (gg, gg_s) = best_time(lambda: fit_bgnbd(s)), best_time(lambda: fit_gamma_gamma(s))
    (their_bg, their_bg_s), (their_gg, their_gg_s) = lifetimes_fits(s)
    label = f"{label} ({s.size:,} customers)"
    return [
        Row(label, "BG/NBD", ["r", "alpha", "a", "b"], [bg.r, bg.alpha, bg.a, bg.b],
            list(their_bg.to_numpy()), bg_s, their_bg_s),
        Row(label, "Gamma-Gamma", ["p", "q", "gamma"], [gg.p, gg.q, gg.gamma],
            list(their_gg.to_numpy()), gg_s, their_gg_s),
    ]  # fmt: skip


PARAM_LINE = "{:<32} {:<12} {:<6} {:>12} {:>12} {:>9}"
TIME_LINE = "{:<32} {:<12} {:>9} {:>12} {:>8} {:>9}"


def print_parameters(rows: list[Row]) -> None:
    print(PARAM_LINE.format("dataset", "model", "param", "ours", "lifetimes", "rel diff"))
    for row in rows:
        for name, ours, theirs in zip(row.names, row.ours, row.theirs, strict=True):
            diff = f"{abs(ours - theirs) / abs(theirs):.2e}"
            line = (row.dataset, row.model, name, f"{ours:.6f}", f"{theirs:.6f}", diff)
            print(PARAM_LINE.format(*line))
    print()


def print_times(rows: list[Row]) -> None:
    print(TIME_LINE.format("dataset", "model", "ours s", "lifetimes s", "ours/lt", "max rel"))
    for row in rows:
        ratio = f"{row.ours_s / row.theirs_s:.3f}"
        times = (f"{row.ours_s:.4f}", f"{row.theirs_s:.4f}", ratio, f"{row.max_rel_diff:.2e}")
        print(TIME_LINE.format(row.dataset, row.model, *times))
    for dataset in dict.fromkeys(row.dataset for row in rows):
        ours = sum(r.ours_s for r in rows if r.dataset == dataset)
        theirs = sum(r.theirs_s for r in rows if r.dataset == dataset)
        times = (f"{ours:.4f}", f"{theirs:.4f}", f"{ours / theirs:.3f}", "")
        print(TIME_LINE.format(dataset, "both", *times))
    print()


def verdict(rows: list[Row]) -> bool:
    """Print whether every fit met the parameter and time goals; True if all did."""
    worst_diff = max(row.max_rel_diff for row in rows)
    worst_ratio = max(row.ours_s / row.theirs_s for row in rows)
    ok = worst_diff <= PARAM_TOLERANCE and worst_ratio <= TIME_RATIO_GOAL
    print(f"max relative parameter difference: {worst_diff:.2e} (goal <= {PARAM_TOLERANCE})")
    print(f"worst time ratio ours/lifetimes:   {worst_ratio:.3f} (goal <= {TIME_RATIO_GOAL})")
    print("RESULT:", "PASS" if ok else "FAIL")
    return ok


def main() -> int:
    """Run the benchmark on every CDNOW file that ships with lifetimes."""
    warnings.simplefilter("ignore")  # lifetimes' FutureWarnings and pkg_resources notice
    rows: list[Row] = []
    for label, (name, skip, id_col, date_col) in DATASETS.items():
        tx = load(name, skip, id_col, date_col)
        if tx is None:
            print(f"{label}: lifetimes/datasets/{name} not found, skipped")
            continue
        bench_summary(label, tx)
        rows += bench_dataset(label, tx)
    print(f"\nfit times: best of {REPEATS}; calibration ends {CALIBRATION_END} (39 weeks)\n")
    print_parameters(rows)
    print_times(rows)
    return 0 if verdict(rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
