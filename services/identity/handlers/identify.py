"""Identify source records: validate, block by keyed hashes, resolve, store encrypted.

One record and a batch share one path (a single record is a batch of one), so a record gets
the same answer either way. Per batch: one query for the records already stored under the
same (source system, record id), one for every candidate under the union of blocking keys;
then ``resolve_batch`` decides each record in input order, seeing the earlier ones. A record
that was stored before is updated in place and keeps its customer (idempotent re-submission).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.identity.adapters.uow import IdentityUnitOfWork
from services.identity.domain import (
    Candidate,
    Decision,
    InvalidInput,
    MatchResult,
    PreparedRecord,
    SourceRecord,
    batch_keys,
    prepare,
    record_from_dict,
    resolve_batch,
)
from services.identity.handlers.common import (
    Actor,
    IdentityConfig,
    decrypt_records,
    refresh_customers,
    supplied,
)
from services.identity.handlers.storing import DECISIONS, resubmit, store_new

_STOP = Candidate("", prepare(SourceRecord("", "")))  # fills a stop key's posting list


@dataclass(frozen=True, slots=True)
class Outcome:
    """The answer for one input record: a decision, or the errors that kept it out."""

    index: int
    customer_id: str | None = None
    decision: str | None = None  # linked | created | review
    record_status: str | None = None  # new | updated | unchanged
    result: MatchResult | None = None
    review_id: int | None = None
    model_version: int | None = None
    errors: tuple[dict[str, str], ...] = ()


def error(index: int, field: str, rule: str, message: str) -> Outcome:
    """An outcome refusing one record."""
    return Outcome(index, errors=({"field": field, "rule": rule, "message": message},))


def parse(raws: Sequence[Mapping[str, Any] | Outcome]) -> list[PreparedRecord | Outcome]:
    """Validate and prepare each record; a refused one becomes an error outcome."""
    out: list[PreparedRecord | Outcome] = []
    seen: set[tuple[str, str]] = set()
    for index, raw in enumerate(raws):
        if isinstance(raw, Outcome):
            out.append(raw)
            continue
        try:
            record = record_from_dict(raw)
        except InvalidInput as exc:
            out.append(error(index, exc.field, exc.rule, exc.message))
            continue
        if record.key in seen:
            out.append(error(index, "source_record_id", "batch.duplicate", "twice in one batch"))
            continue
        seen.add(record.key)
        out.append(prepare(record))
    return out


async def identify(
    raws: Sequence[Mapping[str, Any] | Outcome],
    *,
    uow: IdentityUnitOfWork,
    config: IdentityConfig,
    actor: Actor,
) -> list[Outcome]:
    """Resolve every valid record and store it; the outcomes in input order."""
    parsed = parse(raws)
    valid = {i: p for i, p in enumerate(parsed) if isinstance(p, PreparedRecord)}
    fresh_keys = batch_keys(valid.values())
    hashes = {key: uow.vault.blind(key) for key in fresh_keys}
    if len(raws) == 1:
        record_locks = [uow.vault.blind("rec:" + "\x1f".join(p.record.key)) for p in valid.values()]
        await uow.lock_keys([*hashes.values(), *record_locks])
    else:
        await uow.lock_registry()
    stored = await uow.records.find(p.record.key for p in valid.values())
    version, _ = await uow.models.current()
    answers: dict[int, Outcome] = {i: p for i, p in enumerate(parsed) if isinstance(p, Outcome)}
    again = {i: p for i, p in valid.items() if p.record.key in stored}
    fresh = {i: p for i, p in valid.items() if p.record.key not in stored}
    changed: dict[str, set[str]] = defaultdict(set)
    for i, (status, owner, attrs) in (await resubmit(again, stored, uow=uow, actor=actor)).items():
        answers[i] = _resubmitted(i, owner, status, version)
        if attrs:
            changed[owner] |= attrs
    if fresh:
        answers |= await _resolve_fresh(fresh, hashes, changed, uow=uow, config=config, actor=actor)
    created, reviewing = _created(answers.values(), valid)
    for customer_id in created:
        changed.pop(customer_id, None)
    await refresh_customers(uow, config, created=created, changed=changed, pending_review=reviewing)
    return [answers[i] for i in range(len(parsed))]


def _created(
    answers: Iterable[Outcome], valid: Mapping[int, PreparedRecord]
) -> tuple[dict[str, str], set[str]]:
    """New customers (id → kind), and those among them waiting for a review."""
    created: dict[str, str] = {}
    reviewing: set[str] = set()
    for outcome in answers:
        if outcome.customer_id and outcome.decision in ("created", "review"):
            created[outcome.customer_id] = valid[outcome.index].kind
            if outcome.decision == "review":
                reviewing.add(outcome.customer_id)
    return created, reviewing


def _resubmitted(index: int, owner: str, status: str, version: int) -> Outcome:
    result = MatchResult(Decision.LINK, owner, None, None, None, "resubmitted")
    return Outcome(index, owner, "linked", status, result, model_version=version)


async def _resolve_fresh(
    fresh: Mapping[int, PreparedRecord],
    hashes: Mapping[str, bytes],
    changed: dict[str, set[str]],
    *,
    uow: IdentityUnitOfWork,
    config: IdentityConfig,
    actor: Actor,
) -> dict[int, Outcome]:
    """Resolve never-seen records against the store and each other, then store them."""
    stored = await candidates(uow, hashes, max_postings=config.max_postings)
    version, model = await uow.models.current()
    items = resolve_batch(
        list(fresh.values()),
        model,
        new_customer_id=lambda _record: str(uuid.uuid4()),
        stored=stored,
        max_postings=config.max_postings,
    )
    review_ids = await store_new(items, hashes, uow=uow, actor=actor)
    answers = {}
    for position, (index, item) in enumerate(zip(fresh, items, strict=True)):
        if not item.created:
            changed[item.customer_id] |= supplied(item.record.record)
        decision = DECISIONS[item.result.decision]
        review = review_ids.get(position)
        answers[index] = Outcome(
            index, item.customer_id, decision, "new", item.result, review, version
        )
    return answers


async def candidates(
    uow: IdentityUnitOfWork, hashes: Mapping[str, bytes], *, max_postings: int
) -> dict[str, list[Candidate]]:
    """Stored records under each blocking key (by its hash); stop keys as over-full lists."""
    postings = await uow.records.postings(list(hashes.values()), max_postings=max_postings)
    plain = await decrypt_records(uow, postings.records.values())
    prepared = {rid: prepare(record) for rid, record in plain.items()}
    key_of = {h: key for key, h in hashes.items()}
    out = {
        key_of[h]: [Candidate(postings.records[i].customer_id, prepared[i]) for i in ids]
        for h, ids in postings.by_hash.items()
    }
    for h in postings.stop:
        # An over-full list makes the in-memory index skip the key exactly as the store did.
        out[key_of[h]] = [_STOP] * (max_postings + 1)
    return out
