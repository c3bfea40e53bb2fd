"""Gamma-Gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves").

Fitted on repeat buyers only, with x = number of repeat purchases and m = their mean spend.
Under a gamma spend distribution a mean repeat spend that is not positive has no finite
log-likelihood, so the fit leaves those customers out and records how many it used.
Money is rescaled to mean 1 while fitting (only ``gamma`` depends on the money scale).
Fitted with BFGS and an analytic gradient, for the reason given in ``clv_bgnbd``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from services.segmentation.domain.clv_summary import ClvDataError, RfmSummary

FloatArray = NDArray[np.float64]

_OPTIONS = {"gtol": 1e-8, "maxiter": 1000}  # as for BG/NBD


@dataclass(frozen=True, slots=True)
class GammaGammaParams:
    """Fitted Gamma-Gamma parameters (``gamma`` is lifetimes' ``v``, in money units)."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    n_customers: int

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form, suitable for storing as a model version."""
        return {"model": "gamma_gamma", **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GammaGammaParams:
        """Rebuild parameters stored with `to_dict`."""
        if data.get("model", "gamma_gamma") != "gamma_gamma":
            raise ClvDataError(f"not Gamma-Gamma parameters: {data.get('model')!r}")
        return cls(**{k: v for k, v in data.items() if k != "model"})


@dataclass(frozen=True, slots=True, eq=False)
class _Data:
    """Per-customer x and m, with the parameter-free sums of the log-likelihood precomputed."""

    x: FloatArray
    m: FloatArray
    x_values: FloatArray  # distinct frequencies and their counts, for the gamma-function terms
    x_counts: FloatArray
    sum_x_log_xm: float  # sum of x ln m + x ln x
    sum_log_m: float


def fit_gamma_gamma(summary: RfmSummary) -> GammaGammaParams:
    """Fit Gamma-Gamma by maximum likelihood to the repeat buyers with positive spend."""
    used = (summary.frequency > 0) & (summary.monetary_value > 0)
    if used.sum() < 2:
        raise ClvDataError("Gamma-Gamma needs at least two repeat buyers with positive spend")
    x = summary.frequency[used].astype(np.float64)
    m = summary.monetary_value[used]
    scale = 1.0 / float(m.mean())
    result = minimize(
        _negative_mean_ll,
        x0=np.zeros(3),
        args=(_prepare(x, m * scale),),
        jac=True,
        method="BFGS",
        options=_OPTIONS,
    )
    if not np.isfinite(result.fun) or np.abs(result.jac).max() > 1e-5:
        raise ClvDataError(f"Gamma-Gamma fit did not converge: {result.message}")
    p, q, gamma = (float(v) for v in np.exp(result.x))
    gamma /= scale
    value, _ = _negative_mean_ll(np.log([p, q, gamma]), _prepare(x, m))
    return GammaGammaParams(p, q, gamma, -value * x.shape[0], int(x.shape[0]))


def _prepare(x: FloatArray, m: FloatArray) -> _Data:
    x_values, x_counts = np.unique(x, return_counts=True)
    return _Data(
        x=x,
        m=m,
        x_values=x_values,
        x_counts=x_counts.astype(np.float64),
        sum_x_log_xm=float(x @ (np.log(m) + np.log(x))),
        sum_log_m=float(np.log(m).sum()),
    )


def _negative_mean_ll(theta: FloatArray, d: _Data) -> tuple[float, FloatArray]:
    """Mean negative log-likelihood (eq. 1a of Hardie's note 025) and its log-gradient."""
    p, q, gamma = np.exp(theta)
    n = d.x.shape[0]
    xs, w = d.x_values, d.x_counts
    px = p * xs
    log_gamma_terms = w @ (gammaln(px + q) - gammaln(px)) - n * gammaln(q)
    log_scale = np.log(d.x * d.m + gamma)  # ln(x m + gamma), the only per-customer work
    shape = p * d.x + q
    ll = (
        log_gamma_terms
        + n * q * np.log(gamma)
        + p * d.sum_x_log_xm
        - d.sum_log_m
        - shape @ log_scale
    )
    psi_pxq = digamma(px + q)
    grad_p = w @ (xs * (psi_pxq - digamma(px))) + d.sum_x_log_xm - d.x @ log_scale
    grad_q = w @ psi_pxq - n * digamma(q) + n * np.log(gamma) - log_scale.sum()
    grad_gamma = n * q / gamma - shape @ (1.0 / (d.x * d.m + gamma))
    grad = np.array([grad_p, grad_q, grad_gamma]) * np.exp(theta)  # d/d(log p) = p d/dp
    return float(-ll / n), -grad / n


def expected_average_spend(params: GammaGammaParams, summary: RfmSummary) -> FloatArray:
    """E[mean spend per transaction | x, m]: a credibility-weighted mean (note 025, eq. 5)."""
    p, q = params.p, params.q
    if q <= 1.0:
        raise ClvDataError(f"the fitted spend distribution has no finite mean (q={q:.3g} <= 1)")
    x = summary.frequency
    individual_weight = p * x / (p * x + q - 1.0)
    population_mean = params.gamma * p / (q - 1.0)
    return (1.0 - individual_weight) * population_mean + individual_weight * summary.monetary_value
