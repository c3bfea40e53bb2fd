"""Identify source records: validate, block by keyed hashes, resolve, store encrypted.

One record and a batch share one path (a single record is a batch of one), so a record gets
the same answer either way. Per batch: one query for the records already stored under the
same (source system, record id), one for every candidate under the union of blocking keys (a
single record asks both in one query); then ``resolve_batch`` decides each record in input
order, seeing the earlier ones. A record
that was stored before is updated in place and keeps its customer (idempotent re-submission).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.identity.adapters.postings import Postings
from services.identity.adapters.records import StoredRecord
from services.identity.adapters.uow import IdentityUnitOfWork
from services.identity.domain import (
    Candidate,
    Decision,
    InMemoryIndex,
    InvalidInput,
    MatchResult,
    PreparedRecord,
    blocking_keys,
    prepare,
    record_from_dict,
    resolve_batch,
)
from services.identity.domain.blocking import key_weight, shortlist
from services.identity.handlers.common import (
    Actor,
    IdentityConfig,
    Summary,
    decrypt_records,
    refresh_customers,
    supplied,
)
from services.identity.handlers.storing import DECISIONS, resubmit, store_new


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
    keys_of = {i: blocking_keys(p) for i, p in valid.items()}
    hashes = {key: uow.vault.blind(key) for key in frozenset().union(*keys_of.values())}
    record_keys = [p.record.key for p in valid.values()]
    postings: Postings | None = None
    if len(raws) == 1:
        record_locks = [uow.vault.blind("rec:" + "\x1f".join(key)) for key in record_keys]
        await uow.lock_keys([*hashes.values(), *record_locks])
        # One round trip: the record as stored before if it was sent before, else candidates.
        postings = await uow.records.postings(
            list(hashes.values()),
            max_postings=config.max_postings,
            keys=record_keys,
            prefetch=config.max_candidates,
        )
        stored = postings.stored
    else:
        await uow.lock_registry()
        stored = await uow.records.find(record_keys)
    answers: dict[int, Outcome] = {i: p for i, p in enumerate(parsed) if isinstance(p, Outcome)}
    changed: dict[str, set[str]] = defaultdict(set)
    again = {i: p for i, p in valid.items() if p.record.key in stored}
    answers |= await _resubmit(again, stored, changed, uow=uow, actor=actor)
    fresh = {i: p for i, p in valid.items() if p.record.key not in stored}
    created: dict[str, tuple[str, Summary]] = {}
    if fresh:
        fresh_keys = [keys_of[i] for i in fresh]
        new_answers, created = await _resolve_fresh(
            fresh, fresh_keys, hashes, changed, postings, uow=uow, config=config, actor=actor
        )
        answers |= new_answers
    reviewing = {
        o.customer_id for o in answers.values() if o.customer_id and o.decision == "review"
    }
    await refresh_customers(uow, config, created=created, changed=changed, pending_review=reviewing)
    return [answers[i] for i in range(len(parsed))]


async def _resubmit(
    again: Mapping[int, PreparedRecord],
    stored: Mapping[tuple[str, str], StoredRecord],
    changed: dict[str, set[str]],
    *,
    uow: IdentityUnitOfWork,
    actor: Actor,
) -> dict[int, Outcome]:
    """Records sent before: updated in place, answered with their customer."""
    if not again:
        return {}
    version, _ = await uow.models.current()
    answers = {}
    for i, (status, owner, attrs) in (await resubmit(again, stored, uow=uow, actor=actor)).items():
        result = MatchResult(Decision.LINK, owner, None, None, None, "resubmitted")
        answers[i] = Outcome(i, owner, "linked", status, result, model_version=version)
        if attrs:
            changed[owner] |= attrs
    return answers


async def _resolve_fresh(
    fresh: Mapping[int, PreparedRecord],
    fresh_keys: Sequence[frozenset[str]],
    hashes: Mapping[str, bytes],
    changed: dict[str, set[str]],
    postings: Postings | None,
    *,
    uow: IdentityUnitOfWork,
    config: IdentityConfig,
    actor: Actor,
) -> tuple[dict[int, Outcome], dict[str, tuple[str, Summary]]]:
    """Resolve never-seen records against the store and each other, then store them."""
    seeded = await candidate_index(uow, hashes, fresh_keys, config=config, postings=postings)
    version, model = await uow.models.current()
    items = resolve_batch(
        list(fresh.values()),
        model,
        new_customer_id=lambda _record: str(uuid.uuid4()),
        index=seeded,
        keys=fresh_keys,
    )
    review_ids, created = await store_new(items, hashes, uow=uow, actor=actor)
    answers = {}
    for position, (index, item) in enumerate(zip(fresh, items, strict=True)):
        if not item.created:
            changed[item.customer_id] |= supplied(item.record.record)
        decision = DECISIONS[item.result.decision]
        review = review_ids.get(position)
        answers[index] = Outcome(
            index, item.customer_id, decision, "new", item.result, review, version
        )
    return answers, created


async def candidate_index(
    uow: IdentityUnitOfWork,
    hashes: Mapping[str, bytes],
    probes: Sequence[frozenset[str]],
    *,
    config: IdentityConfig,
    postings: Postings | None = None,
) -> InMemoryIndex:
    """The stored records worth comparing with each probe (its ``max_candidates`` best), indexed.

    ``probes`` holds the blocking keys of each record to resolve; only the records on some
    probe's shortlist are fetched and decrypted.
    """
    if postings is None:
        postings = await uow.records.postings(
            list(hashes.values()), max_postings=config.max_postings
        )
    found = {key: h for key, h in hashes.items() if h in postings.by_hash}
    wanted: set[int] = set()
    for keys in probes:
        blocks = [
            (key_weight(postings.sizes[h]), postings.by_hash[h])
            for h in (found[key] for key in keys & found.keys())
        ]
        wanted.update(shortlist(blocks, config.max_candidates))
    stored, sizes = await candidates(uow, hashes, postings=postings, ids=wanted)
    return InMemoryIndex(
        max_postings=config.max_postings,
        max_candidates=config.max_candidates,
        postings=stored,
        sizes=sizes,
    )


async def candidates(
    uow: IdentityUnitOfWork,
    hashes: Mapping[str, bytes],
    *,
    postings: Postings,
    ids: Iterable[int] | None = None,
) -> tuple[dict[str, list[Candidate]], dict[str, int]]:
    """The stored records (all, or those in ``ids``) under each key; and each key's size.

    ``postings`` is what the store found for ``hashes``; a stop key has no records here and a
    size over ``max_postings``.
    """
    wanted = {i for got in postings.by_hash.values() for i in got} if ids is None else set(ids)
    await uow.records.fetch(postings, wanted)
    uow.keys.remember(postings.wrapped)
    wanted &= postings.records.keys()  # unless erased between the two queries (a refit's read)
    plain = await decrypt_records(uow, (postings.records[i] for i in wanted))
    prepared = {rid: prepare(record) for rid, record in plain.items()}
    key_of = {h: key for key, h in hashes.items()}
    out = {
        key_of[h]: [
            Candidate(postings.records[i].customer_id, prepared[i], i) for i in got if i in wanted
        ]
        for h, got in postings.by_hash.items()
    }
    return out, {key_of[h]: n for h, n in postings.sizes.items()}
