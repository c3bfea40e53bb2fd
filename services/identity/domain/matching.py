"""Resolving one incoming record against the candidate customers found by blocking.

Order of rules (deterministic first, then Fellegi–Sunter):

1. A customer whose records hold a different ``id_card`` or ``uscc`` is never linked (another
   holder; both values passed their check digit).
2. A shared strong identifier links, unless it is shared with several customers or the same
   customer has a conflicting ``passport``/``cif`` (renewals, legacy duplicates): then review.
3. Otherwise the best customer by score links at ``link_threshold``, goes to review at
   ``review_threshold``, and below that the record becomes a new customer. A soft conflict turns
   a link into a review.

Clustering is incremental: a customer's score is the maximum over its source records (single
linkage). The maximum keeps the answer explainable (the evidence is one record pair) and lets a
customer who moved match on either their old or their new address.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from services.identity.domain.comparison import FIELDS, MISSING, Comparison, compare
from services.identity.domain.features import PreparedRecord
from services.identity.domain.identifiers import HARD_CONFLICT_TYPES
from services.identity.domain.model import MatchModel


class Decision(StrEnum):
    """What the service does with an incoming record."""

    LINK = "link"
    REVIEW = "review"
    NEW = "new"


@dataclass(frozen=True, slots=True)
class FieldEvidence:
    """One field's contribution to a score, in bits."""

    field: str
    level: str
    weight: float


@dataclass(frozen=True, slots=True)
class Candidate:
    """A stored source record of an existing customer, fetched by a blocking key.

    ``order`` breaks ties when candidates are ranked: the stored row id, or for a record of the
    same batch a number after every row id.
    """

    customer_id: str
    record: PreparedRecord
    order: int = 0


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The answer for one incoming record."""

    decision: Decision
    customer_id: str | None  # linked customer (link) or the suggested one (review)
    matched_record: tuple[str, str] | None  # (source system, record id) that scored best
    score: float | None
    probability: float | None
    reason: str  # "identifier:id_card", "score", "conflict:passport", "no_candidate", ...
    evidence: tuple[FieldEvidence, ...] = ()
    runner_up: tuple[str, float] | None = None  # next customer above review: a merge hint


@dataclass(frozen=True, slots=True)
class _CustomerView:
    customer_id: str
    best: Candidate
    score: float
    comparison: Comparison
    shared: frozenset[str]  # strong id types with a common value
    conflicts: frozenset[str]  # strong id types present on both sides with no common value


def score(comparison: Comparison, model: MatchModel) -> float:
    """Match weight in bits: sum of log2(m/u), term-frequency adjusted on exact names."""
    weights = model.weights
    total = 0.0
    for i, level in enumerate(comparison.levels):
        if level != MISSING:
            total += weights[i][level]
    for i, value in comparison.tf_values:
        tf = model.tf_weight(i, value)
        if tf is not None:
            total += tf - weights[i][0]
    return total


def explain(comparison: Comparison, model: MatchModel) -> tuple[FieldEvidence, ...]:
    """Per-field evidence (field, level, weight) of a comparison; the weights sum to the score."""
    tf = {i: model.tf_weight(i, v) for i, v in comparison.tf_values}
    out = []
    for i, level in enumerate(comparison.levels):
        if level == MISSING:
            continue
        weight = tf.get(i) if level == 0 and tf.get(i) is not None else model.weights[i][level]
        out.append(FieldEvidence(FIELDS[i].name, FIELDS[i].levels[level], round(weight or 0, 3)))
    if comparison.names_swapped:  # for the clerk: the names agreed only after swapping
        out.append(FieldEvidence("name_order", "swapped", 0.0))
    return tuple(out)


def strong_relation(a: PreparedRecord, b: PreparedRecord) -> tuple[set[str], set[str]]:
    """(types with a shared strong value, types present on both sides without one)."""
    seen_a: dict[str, set[str]] = {}
    for id_type, value in a.strong_ids:
        seen_a.setdefault(id_type, set()).add(value)
    seen_b: dict[str, set[str]] = {}
    for id_type, value in b.strong_ids:
        seen_b.setdefault(id_type, set()).add(value)
    common = seen_a.keys() & seen_b.keys()
    shared = {t for t in common if seen_a[t] & seen_b[t]}
    return shared, set(common) - shared


def resolve(
    record: PreparedRecord, candidates: Iterable[Candidate], model: MatchModel
) -> MatchResult:
    """Decide link / review / new for ``record`` among the candidates' customers."""
    views = _customer_views(record, candidates, model)
    allowed = [v for v in views if not v.conflicts & HARD_CONFLICT_TYPES]
    by_id = [v for v in allowed if v.shared]
    if by_id:
        return _identifier_decision(by_id, model)
    if not allowed:
        reason = f"conflict:{min(views[0].conflicts)}" if views else "no_candidate"
        return MatchResult(Decision.NEW, None, None, None, None, reason)
    ranked = sorted(allowed, key=lambda v: (-v.score, v.customer_id))
    best = ranked[0]
    runner = ranked[1] if len(ranked) > 1 else None
    if best.score >= model.link_threshold:
        decision = Decision.REVIEW if best.conflicts else Decision.LINK
        reason = f"conflict:{min(best.conflicts)}" if best.conflicts else "score"
    elif best.score >= model.review_threshold:
        decision, reason = Decision.REVIEW, "score"
    else:
        decision, reason = Decision.NEW, "score"
    return _result(decision, best, model, reason, runner)


def _identifier_decision(views: list[_CustomerView], model: MatchModel) -> MatchResult:
    ranked = sorted(views, key=lambda v: (-v.score, v.customer_id))
    best = ranked[0]
    shared = min(best.shared)
    if len(ranked) > 1:  # one identifier, two customers: an earlier merge was missed
        return _result(Decision.REVIEW, best, model, f"identifier_ambiguous:{shared}", ranked[1])
    if best.conflicts:
        return _result(Decision.REVIEW, best, model, f"conflict:{min(best.conflicts)}", None)
    return _result(Decision.LINK, best, model, f"identifier:{shared}", None)


def _result(
    decision: Decision,
    view: _CustomerView,
    model: MatchModel,
    reason: str,
    runner: _CustomerView | None,
) -> MatchResult:
    return MatchResult(
        decision=decision,
        customer_id=None if decision is Decision.NEW else view.customer_id,
        matched_record=view.best.record.record.key,
        score=round(view.score, 3),
        probability=model.probability(view.score),
        reason=reason,
        evidence=explain(view.comparison, model),
        runner_up=(
            (runner.customer_id, round(runner.score, 3))
            if runner and runner.score >= model.review_threshold
            else None
        ),
    )


def _customer_views(
    record: PreparedRecord, candidates: Iterable[Candidate], model: MatchModel
) -> list[_CustomerView]:
    """Per customer: the best-scoring record, strong ids shared and conflicting."""
    views: dict[str, _CustomerView] = {}
    for cand in candidates:
        if cand.record.kind != record.kind or cand.record.record.key == record.record.key:
            continue
        comparison = compare(record, cand.record)
        view = _CustomerView(
            cand.customer_id, cand, score(comparison, model), comparison, *_strong(record, cand)
        )
        old = views.get(cand.customer_id)
        views[cand.customer_id] = view if old is None else _fold(old, view)
    return list(views.values())


def _strong(record: PreparedRecord, cand: Candidate) -> tuple[frozenset[str], frozenset[str]]:
    shared, conflicts = strong_relation(record, cand.record)
    return frozenset(shared), frozenset(conflicts)


def _fold(old: _CustomerView, new: _CustomerView) -> _CustomerView:
    """Max score over a customer's records; a type shared with any record is no conflict."""
    best = old if old.score >= new.score else new
    shared = old.shared | new.shared
    return _CustomerView(
        best.customer_id,
        best.best,
        best.score,
        best.comparison,
        shared,
        (old.conflicts | new.conflicts) - shared,
    )
