"""Operator use cases: the match model (read, refit by EM) and the audit-chain check.

A refit samples stored records, pairs each with the candidates its blocking keys find (the
pairs identification actually scores) and draws random pairs for ``u``; EM starts from the
current model. It runs only when an admin asks: a refit changes every later decision, so it
is an operator's act, recorded with who did it, never a side effect of a request. Name
frequencies are stored k-anonymously (only names held by at least ``tf_min_count`` sampled
records), so the stored model never holds a name that points at one customer.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from services.identity.adapters.audit import ChainCheck
from services.identity.adapters.uow import IdentityUnitOfWork
from services.identity.domain import MatchModel, PreparedRecord, batch_keys, blocking_keys, prepare
from services.identity.domain.comparison import FIELDS, TF_VALUE
from services.identity.domain.fitting import MIN_PAIRS, fit_model, sample_random_pairs
from services.identity.handlers.common import Actor, IdentityConfig, decrypt_records, now
from services.identity.handlers.identify import candidates
from shared.errors import Conflict

MAX_PAIRS = 200_000
Pair = tuple[PreparedRecord, PreparedRecord]


async def current_model(*, uow: IdentityUnitOfWork) -> tuple[int, MatchModel, Mapping[str, Any]]:
    """The model in use, its version and what was recorded when it was fitted."""
    version, model = await uow.models.current()
    summary = await uow.models.summary(version) if version else {"source": "default_priors"}
    return version, model, summary or {}


async def fit(
    *, uow: IdentityUnitOfWork, config: IdentityConfig, actor: Actor, sample: int | None
) -> tuple[int, MatchModel, Mapping[str, Any]]:
    """Refit the model by EM on the data held and store it as a new version."""
    _, start = await uow.models.current()
    rows = await uow.records.sample(sample or config.fit_sample_records)
    plain = await decrypt_records(uow, rows)
    records = [prepare(r) for r in plain.values()]
    pairs = await candidate_pairs(uow, config, records)
    rng = random.Random(len(records))
    randoms = sample_random_pairs(records, config.fit_random_pairs, rng=rng)
    result = fit_model(pairs, random_pairs=randoms, start=start)
    if result.iterations == 0:
        raise Conflict(f"{len(pairs)} candidate pairs held; a refit needs at least {MIN_PAIRS}")
    tf = k_anonymous_frequencies(records, config.tf_min_count, fallback=start)
    model = replace(result.model, term_frequencies=tf)
    summary = {
        "records_sampled": len(records),
        "candidate_pairs": len(pairs),
        "random_pairs": len(randoms),
        "iterations": result.iterations,
        "converged": result.converged,
        "reset_fields": list(model.meta.get("reset_fields", [])),
    }
    version = await uow.models.save(model, summary=summary, by=actor.subject, at=now())
    return version, model, summary


async def candidate_pairs(
    uow: IdentityUnitOfWork, config: IdentityConfig, records: list[PreparedRecord]
) -> list[Pair]:
    """Each sampled record with every stored record sharing one of its blocking keys, once."""
    hashes = {key: uow.vault.blind(key) for key in batch_keys(records)}
    postings = await uow.records.postings(list(hashes.values()), max_postings=config.max_postings)
    stored, _ = await candidates(uow, hashes, postings=postings)
    seen: dict[frozenset[tuple[str, str]], Pair] = {}
    for record in records:
        for key in blocking_keys(record):
            for cand in stored.get(key, ()):
                other = cand.record
                if cand.customer_id and other.record.key != record.record.key:
                    seen.setdefault(
                        frozenset((record.record.key, other.record.key)), (record, other)
                    )
    pairs = list(seen.values())
    return random.Random(len(pairs)).sample(pairs, MAX_PAIRS) if len(pairs) > MAX_PAIRS else pairs


def k_anonymous_frequencies(
    records: Iterable[PreparedRecord], k: int, *, fallback: MatchModel
) -> dict[str, dict[str, float]]:
    """Name frequencies of values held by at least ``k`` records (else the fallback's table)."""
    counters: dict[int, Counter[str]] = {i: Counter() for i in TF_VALUE}
    for record in records:
        for i, value_of in TF_VALUE.items():
            value = value_of(record)
            if value:
                counters[i][value] += 1
    out = {}
    for i, counter in counters.items():
        total = sum(counter.values())
        table = {v: n / total for v, n in counter.most_common(5000) if n >= k}
        name = FIELDS[i].name
        table = table or dict(fallback.term_frequencies.get(name, {}))
        if table:
            out[name] = table
    return out


async def verify_audit(*, uow: IdentityUnitOfWork) -> ChainCheck:
    """Recompute the audit log's hash chain."""
    return await uow.audit.verify()
