"""Resolving a batch in order, each record against the store and the batch's earlier records.

The answers equal those of one ``identify`` call per record in the same order: a record linked
or created early in the batch is a candidate for the records after it. One nuance: keys weigh
by the store's rows as the batch began, not counting the batch's own, which can reorder a
record's candidates only when it has more than ``max_candidates`` of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from services.identity.domain.blocking import InMemoryIndex, blocking_keys
from services.identity.domain.features import PreparedRecord
from services.identity.domain.matching import Decision, MatchResult, resolve
from services.identity.domain.model import MatchModel


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One record's answer and the customer it now belongs to."""

    record: PreparedRecord
    keys: frozenset[str]  # store a (blind-indexed) row per key under ``customer_id``
    result: MatchResult
    customer_id: str  # the linked customer, or the new one (also for review)
    created: bool  # True when ``customer_id`` is a new customer


def resolve_batch(
    records: Sequence[PreparedRecord],
    model: MatchModel,
    *,
    new_customer_id: Callable[[PreparedRecord], str],
    index: InMemoryIndex | None = None,
    keys: Sequence[frozenset[str]] | None = None,
) -> list[BatchItem]:
    """Resolve ``records`` in order; ``index`` holds the store's rows for the batch's keys.

    A review creates a new customer pending the clerk's decision; the suggested customer stays
    in ``result.customer_id`` for the review queue. ``keys`` may pass each record's
    ``blocking_keys`` when the caller computed them already (to fetch the store's rows).
    The batch's records are added to ``index`` as they are decided.
    """
    index = InMemoryIndex() if index is None else index
    items = []
    for position, record in enumerate(records):
        keys_of = blocking_keys(record) if keys is None else keys[position]
        result = resolve(record, index.candidates(record, keys_of), model)
        linked = result.customer_id if result.decision is Decision.LINK else None
        customer_id = linked or new_customer_id(record)
        index.add(customer_id, record, keys_of)
        items.append(BatchItem(record, keys_of, result, customer_id, linked is None))
    return items


def batch_keys(records: Iterable[PreparedRecord]) -> frozenset[str]:
    """The union of the records' blocking keys: what to fetch from the store for a batch."""
    return frozenset(key for record in records for key in blocking_keys(record))
