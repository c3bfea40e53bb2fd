"""Estimating m, u and the prior by expectation-maximisation, and term frequencies.

EM runs on comparison vectors of candidate pairs (pairs sharing a blocking key), grouped into
distinct patterns so its cost does not grow with the number of pairs. ``u`` can instead be
measured on random pairs (almost all non-matches) and held fixed, which is more robust when
matches are a large share of the candidates. Every estimate is smoothed towards the starting
model with a pseudo-count, so a level never seen in the data keeps a non-zero probability and
a field absent from the data keeps its prior.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from services.identity.domain.comparison import FIELDS, MISSING, TF_VALUE, compare
from services.identity.domain.features import PreparedRecord
from services.identity.domain.model import FieldParams, MatchModel

Pair = tuple[PreparedRecord, PreparedRecord]
Matrix = NDArray[np.int8]
_FLOOR = 1e-9  # no probability reaches zero: log2(m/u) must stay finite


@dataclass(frozen=True, slots=True)
class EMResult:
    """The fitted model and how the fit went."""

    model: MatchModel
    iterations: int
    converged: bool
    pairs: int


def comparison_matrix(pairs: Iterable[Pair]) -> Matrix:
    """Level indices (MISSING = -1) of each pair, one row per pair."""
    rows = [compare(a, b).levels for a, b in pairs]
    return np.array(rows, dtype=np.int8).reshape(len(rows), len(FIELDS))


def _level_counts(
    column: NDArray[np.int8], weights: NDArray[np.float64], n: int
) -> NDArray[np.float64]:
    present = column != MISSING
    return np.bincount(column[present], weights=weights[present], minlength=n).astype(np.float64)


def _smoothed(
    counts: NDArray[np.float64], start: Sequence[float], strength: float
) -> tuple[float, ...]:
    probs = (counts + strength * np.asarray(start)) / (counts.sum() + strength)
    probs = np.maximum(probs, _FLOOR)
    return tuple(float(p) for p in probs / probs.sum())


def estimate_u(
    matrix: Matrix, start: MatchModel, *, strength: float = 1.0
) -> dict[str, FieldParams]:
    """u from random pairs (treated as non-matches); m is copied from ``start``."""
    ones = np.ones(len(matrix))
    out = {}
    for f, spec in enumerate(FIELDS):
        counts = _level_counts(matrix[:, f], ones, len(spec.levels))
        params = start.params[spec.name]
        out[spec.name] = FieldParams(m=params.m, u=_smoothed(counts, params.u, strength))
    return out


def estimate_m_u(
    matrix: Matrix,
    start: MatchModel,
    *,
    fix_u: bool = False,
    max_iter: int = 200,
    tol: float = 1e-6,
    strength: float = 1.0,
) -> EMResult:
    """Fit m, u (unless ``fix_u``) and the prior on candidate-pair comparison vectors."""
    if len(matrix) == 0:
        return EMResult(start, 0, False, 0)
    patterns, raw_counts = np.unique(matrix, axis=0, return_counts=True)
    counts: NDArray[np.float64] = raw_counts.astype(np.float64)
    model, converged, iterations = start, False, 0
    while not converged and iterations < max_iter:
        iterations += 1
        posterior = _posterior(patterns, model)
        new = _maximise(patterns, counts, posterior, model, fix_u=fix_u, strength=strength)
        converged = _max_change(model, new) < tol
        model = new
    meta = {**start.meta, "source": "em", "pairs": int(counts.sum()), "iterations": iterations}
    return EMResult(replace(model, meta=meta), iterations, converged, int(counts.sum()))


def _posterior(patterns: Matrix, model: MatchModel) -> NDArray[np.float64]:
    """P(match | pattern) for each distinct comparison pattern."""
    log_ratio = np.full(len(patterns), np.log(model.prior / (1 - model.prior)))
    for f, spec in enumerate(FIELDS):
        params = model.params[spec.name]
        table = np.log(np.asarray(params.m)) - np.log(np.asarray(params.u))
        column = patterns[:, f]
        present = column != MISSING
        log_ratio[present] += table[column[present]]
    posterior: NDArray[np.float64] = 1.0 / (1.0 + np.exp(-np.clip(log_ratio, -700, 700)))
    return posterior


def _maximise(
    patterns: Matrix,
    counts: NDArray[np.float64],
    posterior: NDArray[np.float64],
    model: MatchModel,
    *,
    fix_u: bool,
    strength: float,
) -> MatchModel:
    w_match, w_non = counts * posterior, counts * (1 - posterior)
    params = {}
    for f, spec in enumerate(FIELDS):
        old = model.params[spec.name]
        n = len(spec.levels)
        m = _smoothed(_level_counts(patterns[:, f], w_match, n), old.m, strength)
        u = old.u if fix_u else _smoothed(_level_counts(patterns[:, f], w_non, n), old.u, strength)
        params[spec.name] = FieldParams(m=m, u=u)
    prior = float(np.clip(w_match.sum() / counts.sum(), 1e-6, 1 - 1e-6))
    return replace(model, params=params, prior=prior)


def _max_change(old: MatchModel, new: MatchModel) -> float:
    deltas = [abs(new.prior - old.prior)]
    for spec in FIELDS:
        a, b = old.params[spec.name], new.params[spec.name]
        deltas += [abs(x - y) for x, y in zip(a.m + a.u, b.m + b.u, strict=True)]
    return max(deltas)


def term_frequencies(
    records: Iterable[PreparedRecord], *, top_k: int = 5000
) -> dict[str, dict[str, float]]:
    """Relative frequency of the ``top_k`` commonest values of each term-frequency field."""
    counters: dict[int, Counter[str]] = {i: Counter() for i in TF_VALUE}
    for rec in records:
        for i, value_of in TF_VALUE.items():
            value = value_of(rec)
            if value:
                counters[i][value] += 1
    return {FIELDS[i].name: _top(counter, top_k) for i, counter in counters.items()}


def _top(counter: Counter[str], top_k: int) -> dict[str, float]:
    total = sum(counter.values())
    return {value: n / total for value, n in counter.most_common(top_k)} if total else {}
