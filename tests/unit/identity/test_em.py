"""EM recovers m, u and the match share; fitting on records yields a model that links."""

from __future__ import annotations

import random

import numpy as np
import pytest

from services.identity.domain import (
    Decision,
    PreparedRecord,
    default_model,
    fit_model,
    fit_model_on_records,
)
from services.identity.domain.blocking import InMemoryIndex
from services.identity.domain.comparison import FIELD_INDEX, FIELDS, MISSING
from services.identity.domain.em import estimate_m_u, estimate_u, term_frequencies
from services.identity.domain.fitting import MIN_PAIRS
from services.identity.domain.matching import resolve
from tests.unit.identity.builders import make_prepared

TRUE_M = {
    "given_name": (0.80, 0.10, 0.04, 0.06),
    "family_name": (0.85, 0.08, 0.03, 0.04),
    "birth_date": (0.90, 0.05, 0.01, 0.01, 0.03),
    "weak_id": (0.92, 0.05, 0.03),
    "gender": (0.97, 0.03),
}
TRUE_U = {
    "given_name": (0.02, 0.03, 0.10, 0.85),
    "family_name": (0.05, 0.05, 0.10, 0.80),
    "birth_date": (0.01, 0.02, 0.01, 0.06, 0.90),
    "weak_id": (0.01, 0.02, 0.97),
    "gender": (0.5, 0.5),
}


def _synthetic(n: int, share: float, seed: int) -> np.ndarray:
    """Comparison vectors drawn from TRUE_M / TRUE_U; other fields missing."""
    rng = np.random.default_rng(seed)
    is_match = rng.random(n) < share
    matrix = np.full((n, len(FIELDS)), MISSING, dtype=np.int8)
    for name in TRUE_M:
        col = FIELD_INDEX[name]
        levels = len(TRUE_M[name])
        matrix[is_match, col] = rng.choice(levels, size=is_match.sum(), p=TRUE_M[name])
        matrix[~is_match, col] = rng.choice(levels, size=(~is_match).sum(), p=TRUE_U[name])
    missing = rng.random(matrix.shape) < 0.05  # some values absent, as in real data
    matrix[missing] = MISSING
    return matrix


def test_em_recovers_the_generating_parameters() -> None:
    result = estimate_m_u(_synthetic(40_000, 0.3, seed=1), default_model())
    assert result.converged
    model = result.model
    assert model.prior == pytest.approx(0.3, abs=0.01)
    for name in TRUE_M:
        assert model.params[name].m == pytest.approx(TRUE_M[name], abs=0.02), name
        assert model.params[name].u == pytest.approx(TRUE_U[name], abs=0.02), name


def test_u_from_random_pairs_and_fixed_during_em() -> None:
    non_matches = _synthetic(20_000, 0.0, seed=2)
    start = default_model()
    with_u = start.__class__(params=estimate_u(non_matches, start))
    for name in TRUE_U:
        assert with_u.params[name].u == pytest.approx(TRUE_U[name], abs=0.01)
    result = estimate_m_u(_synthetic(20_000, 0.4, seed=3), with_u, fix_u=True)
    assert result.model.params["weak_id"].u == with_u.params["weak_id"].u
    assert result.model.params["weak_id"].m == pytest.approx(TRUE_M["weak_id"], abs=0.02)


def test_fields_absent_from_the_data_keep_their_priors() -> None:
    start = default_model()
    model = estimate_m_u(_synthetic(5_000, 0.3, seed=4), start).model
    assert model.params["email"].m == pytest.approx(start.params["email"].m, rel=1e-3)


def test_too_few_pairs_keep_the_starting_model() -> None:
    start = default_model()
    pairs = [(make_prepared(), make_prepared())] * (MIN_PAIRS - 1)
    assert fit_model(pairs, start=start).model is start


def _population(n: int, seed: int) -> list[PreparedRecord]:
    """n people and one noisy duplicate of each (typo in a name, sometimes no birth date)."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnoprstuvwy"
    records = []
    for i in range(n):
        given = "".join(rng.choice(letters) for _ in range(6))
        family = rng.choice(["smith", "nguyen"]) if i % 3 == 0 else f"fam{given[::-1]}"
        attrs = {
            "given_name": given,
            "family_name": family,
            "birth_date": f"19{rng.randint(30, 99)}-0{rng.randint(1, 9)}-{rng.randint(10, 28)}",
            "address": {"postcode": str(rng.randint(1000, 9999)), "locality": "town"},
            "identifiers": [("ssn", str(rng.randint(10**6, 10**7)))],
        }
        records.append(make_prepared(source_record_id=f"p{i}", **attrs))
        typo = given[:2] + given[3] + given[2] + given[4:]  # adjacent transposition
        dup = {
            **attrs,
            "given_name": typo,
            "birth_date": None if i % 4 == 0 else attrs["birth_date"],
        }
        records.append(make_prepared(source_record_id=f"p{i}-dup", **dup))
    return records


def test_model_fitted_on_a_batch_links_its_duplicates() -> None:
    records = _population(600, seed=5)
    fitted = fit_model_on_records(records, n_random=10_000)
    assert fitted.converged
    assert fitted.model.meta["source"] == "em"
    index, customer_of = InMemoryIndex(), {}
    for rec in records:
        result = resolve(rec, index.candidates(rec), fitted.model)
        rid = rec.record.source_record_id
        linked = result.customer_id if result.decision is Decision.LINK else None
        customer_of[rid] = linked or rid
        index.add(customer_of[rid], rec)
    assert all(customer_of[f"p{i}-dup"] == f"p{i}" for i in range(600))
    assert len(set(customer_of.values())) == 600


def test_term_frequencies_make_common_names_weigh_less() -> None:
    records = _population(300, seed=6)
    tf = term_frequencies(records)
    assert tf["family_name"]["smith"] > 0.05
    model = fit_model_on_records(records, n_random=5_000).model
    family = FIELD_INDEX["family_name"]
    common, rare = model.tf_weight(family, "smith"), model.tf_weight(family, "famxyzabc")
    assert common is not None and rare is not None and common < rare - 3
