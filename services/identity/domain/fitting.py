"""Fitting a match model on the data the service holds: a batch, or a sample of stored pairs.

Two entry points, the same estimator:

* :func:`fit_model` takes pairs the caller already has (the service samples stored candidate
  pairs from its key table, and random record pairs) plus records for term frequencies;
* :func:`fit_model_on_records` builds both pair sets itself from a batch of records.

``u`` comes from random pairs by default (stable: they are almost all non-matches). Passing no
random pairs lets EM fit ``u`` on the candidate pairs instead, which learns how often candidate
non-matches agree (households share an address) but needs thousands of non-matches among them.

Cold start: below ``MIN_PAIRS`` candidate pairs EM is not trusted and the starting model (the
default priors, or the last stored fit) is returned unchanged. A refit should start from the
stored model, so thresholds and fields without data carry over.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace

from services.identity.domain.blocking import blocking_keys
from services.identity.domain.comparison import FIELDS
from services.identity.domain.em import (
    EMResult,
    Pair,
    comparison_matrix,
    estimate_m_u,
    estimate_u,
    term_frequencies,
)
from services.identity.domain.features import PreparedRecord
from services.identity.domain.model import MatchModel, default_model

MIN_PAIRS = 500


def fit_model(
    candidate_pairs: Sequence[Pair],
    *,
    random_pairs: Sequence[Pair] = (),
    records: Iterable[PreparedRecord] = (),
    start: MatchModel | None = None,
    max_iter: int = 200,
) -> EMResult:
    """EM on candidate pairs; with random pairs, u is measured on them and held fixed."""
    start = start or default_model()
    if len(candidate_pairs) < MIN_PAIRS:
        return EMResult(start, 0, False, len(candidate_pairs))
    if random_pairs:
        start = replace(start, params=estimate_u(comparison_matrix(random_pairs), start))
    result = estimate_m_u(
        comparison_matrix(candidate_pairs), start, fix_u=bool(random_pairs), max_iter=max_iter
    )
    model = _keep_sane_fields(result.model, start)
    tf = term_frequencies(records)
    if any(tf.values()):
        model = replace(model, term_frequencies=tf)
    return replace(result, model=model)


def _keep_sane_fields(fitted: MatchModel, start: MatchModel) -> MatchModel:
    """A field whose exact level came out no likelier among matches keeps its start values.

    That only happens when EM swapped classes on a field with little data; the prior is the
    better guess then.
    """
    params = dict(fitted.params)
    reset = [s.name for s in FIELDS if params[s.name].m[0] <= params[s.name].u[0]]
    for name in reset:
        params[name] = start.params[name]
    return replace(fitted, params=params, meta={**fitted.meta, "reset_fields": reset})


def fit_model_on_records(
    records: Sequence[PreparedRecord],
    *,
    max_pairs: int = 200_000,
    n_random: int = 50_000,
    seed: int = 0,
    start: MatchModel | None = None,
) -> EMResult:
    """Fit on a batch: candidate pairs from its blocking keys, u from random pairs."""
    rng = random.Random(seed)
    pairs = batch_candidate_pairs(records, max_pairs=max_pairs, rng=rng)
    randoms = sample_random_pairs(records, n_random, rng=rng) if n_random else []
    return fit_model(pairs, random_pairs=randoms, records=records, start=start)


def batch_candidate_pairs(
    records: Sequence[PreparedRecord],
    *,
    max_pairs: int,
    rng: random.Random,
    max_postings: int = 1000,
) -> list[Pair]:
    """Pairs of records sharing a blocking key (each once), sampled down to ``max_pairs``."""
    postings: dict[str, list[int]] = defaultdict(list)
    for i, rec in enumerate(records):
        for key in blocking_keys(rec):
            postings[key].append(i)
    seen: set[tuple[int, int]] = set()
    for members in postings.values():
        if len(members) > max_postings:
            continue  # a stop key, skipped at lookup too
        for x, i in enumerate(members):
            for j in members[x + 1 :]:
                if records[i].kind == records[j].kind:
                    seen.add((i, j))
    chosen = sorted(seen)
    if len(chosen) > max_pairs:
        chosen = rng.sample(chosen, max_pairs)
    return [(records[i], records[j]) for i, j in chosen]


def sample_random_pairs(
    records: Sequence[PreparedRecord], n: int, *, rng: random.Random
) -> list[Pair]:
    """``n`` pairs of distinct records drawn uniformly (nearly all of them non-matches)."""
    if len(records) < 2:
        return []
    out = []
    for _ in range(n):
        i, j = rng.sample(range(len(records)), 2)
        out.append((records[i], records[j]))
    return out
