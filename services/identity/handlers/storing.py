"""Writing identified records: new customers, encrypted records, key rows, reviews, history."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from services.identity.adapters.records import StoredRecord
from services.identity.adapters.uow import IdentityUnitOfWork
from services.identity.domain import (
    BatchItem,
    Decision,
    PreparedRecord,
    SourceRecord,
    blocking_keys,
)
from services.identity.handlers.common import (
    Actor,
    Summary,
    changed_attributes,
    decrypt_records,
    history_row,
    now,
    seal,
    summarize,
)

DECISIONS = {Decision.LINK: "linked", Decision.NEW: "created", Decision.REVIEW: "review"}


async def store_new(
    items: Sequence[BatchItem],
    hashes: Mapping[str, bytes],
    *,
    uow: IdentityUnitOfWork,
    actor: Actor,
) -> tuple[dict[int, int], dict[str, tuple[str, Summary]]]:
    """Store resolved records and their new customers.

    Returns review ids by position in ``items``, and each new customer's kind and summary.
    """
    at = now()
    created = [item for item in items if item.created]
    summaries = _new_summaries(items)
    data_keys, key_rows = uow.keys.new([item.customer_id for item in created], at=at)
    data_keys |= await uow.keys.load({item.customer_id for item in items} - data_keys.keys())
    record_ids = await uow.write_new(
        customers=[_customer_row(item, summaries[item.customer_id], at) for item in created],
        keys=key_rows,
        records=[_record_row(item, data_keys[item.customer_id], at) for item in items],
        record_keys=[(p, hashes[key]) for p, item in enumerate(items) for key in item.keys],
        history=[_history_row(item, actor, at) for item in items],
    )
    by_position = await _open_reviews(items, record_ids, uow=uow, actor=actor, at=at)
    kinds = {item.customer_id: item.record.kind for item in created}
    return by_position, {cid: (kinds[cid], summary) for cid, summary in summaries.items()}


async def _open_reviews(
    items: Sequence[BatchItem],
    record_ids: Sequence[int],
    *,
    uow: IdentityUnitOfWork,
    actor: Actor,
    at: dt.datetime,
) -> dict[int, int]:
    """A review per record that went to review; review ids by position in ``items``."""
    reviews = [
        (position, _review_row(item, rid, at))
        for position, (item, rid) in enumerate(zip(items, record_ids, strict=True))
        if item.result.decision is Decision.REVIEW
    ]
    review_ids = await uow.reviews.add([row for _, row in reviews])
    by_position = {position: rid for (position, _), rid in zip(reviews, review_ids, strict=True)}
    await uow.history.add(
        [
            history_row(
                items[position].customer_id,
                "review_opened",
                actor=actor,
                at=at,
                other_id=items[position].result.customer_id,
                review_id=review_id,
            )
            for position, review_id in by_position.items()
        ]
    )
    return by_position


def _new_summaries(items: Sequence[BatchItem]) -> dict[str, Summary]:
    """Summaries of the batch's new customers: all their records are in the batch."""
    records: dict[str, list[SourceRecord]] = defaultdict(list)
    new = {item.customer_id for item in items if item.created}
    for item in items:
        if item.customer_id in new:
            records[item.customer_id].append(item.record.record)
    return {cid: summarize(rs) for cid, rs in records.items()}


def _customer_row(item: BatchItem, summary: Summary, at: dt.datetime) -> dict[str, Any]:
    return {
        "id": item.customer_id,
        "kind": item.record.kind,
        "status": "active",
        "merged_into": None,
        "home_branch": summary.home_branch,
        "branches": summary.branches,
        "channels": summary.channels,
        "created_at": at,
        "updated_at": at,
        "erased_at": None,
    }


def _record_row(item: BatchItem, data_key: bytes, at: dt.datetime) -> dict[str, Any]:
    record = item.record.record
    return {
        "source_system": record.source_system,
        "source_record_id": record.source_record_id,
        "customer_id": item.customer_id,
        "original_customer_id": item.customer_id,
        "kind": record.kind,
        "branch": record.branch,
        "channel": record.channel,
        "observed_at": record.observed_at,
        "payload": seal(record, data_key),
        "created_at": at,
        "updated_at": at,
    }


def _review_row(item: BatchItem, record_id: int, at: dt.datetime) -> dict[str, Any]:
    result = item.result
    return {
        "record_id": record_id,
        "customer_id": item.customer_id,
        "candidate_id": result.customer_id,
        "score": result.score,
        "probability": result.probability,
        "reason": result.reason,
        "evidence": [
            {"field": e.field, "level": e.level, "weight": e.weight} for e in result.evidence
        ],
        "status": "pending",
        "created_at": at,
        "decided_at": None,
        "decided_by": None,
    }


def _history_row(item: BatchItem, actor: Actor, at: dt.datetime) -> dict[str, Any]:
    system = item.record.record.source_system
    if item.created:
        decision = DECISIONS[item.result.decision]
        return history_row(
            item.customer_id, "registered", actor=actor, at=at, source_system=system,
            decision=decision,
        )  # fmt: skip
    return history_row(
        item.customer_id, "record_linked", actor=actor, at=at, source_system=system,
        reason=item.result.reason, score=item.result.score,
    )  # fmt: skip


async def resubmit(
    again: Mapping[int, PreparedRecord],
    stored: Mapping[tuple[str, str], StoredRecord],
    *,
    uow: IdentityUnitOfWork,
    actor: Actor,
) -> dict[int, tuple[str, str, set[str]]]:
    """Update records sent before, in place; per index (updated|unchanged, owner, changed)."""
    if not again:
        return {}
    rows = {i: stored[p.record.key] for i, p in again.items()}
    plain = await decrypt_records(uow, rows.values())
    data_keys = await uow.keys.load({r.customer_id for r in rows.values()})
    at, out = now(), {}
    rewrites, new_keys, history = [], [], []
    for i, prepared in again.items():
        row, record = rows[i], prepared.record
        changed = changed_attributes(plain[row.id], record)
        out[i] = ("updated" if changed else "unchanged", row.customer_id, changed)
        if not changed:
            continue
        rewrites.append(_rewrite(row, prepared, data_keys[row.customer_id], at))
        new_keys += [(uow.vault.blind(k), row.id) for k in blocking_keys(prepared)]
        history.append(
            history_row(row.customer_id, "record_updated", actor=actor, at=at,
                        source_system=row.source_system, changed=sorted(changed))
        )  # fmt: skip
    await uow.records.rewrite(rewrites)
    await uow.records.drop_keys([r["rid"] for r in rewrites])
    await uow.records.add_keys(new_keys)
    await uow.history.add(history)
    return out


def _rewrite(
    row: StoredRecord, prepared: PreparedRecord, data_key: bytes, at: dt.datetime
) -> dict[str, Any]:
    record = prepared.record
    return {
        "rid": row.id,
        "kind": record.kind,
        "branch": record.branch,
        "channel": record.channel,
        "observed_at": record.observed_at,
        "payload": seal(record, data_key),
        "updated_at": at,
    }
