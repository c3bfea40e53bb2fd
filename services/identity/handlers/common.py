"""What the identity use cases share: configuration, the caller, decryption, customer summaries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from services.identity.adapters.codec import decode_record, encode_record, record_aad
from services.identity.adapters.records import StoredRecord
from services.identity.adapters.uow import IdentityUnitOfWork
from services.identity.adapters.vault import decrypt, encrypt
from services.identity.domain import SourceRecord, SurvivorshipPolicy, branch_summary
from shared import context
from shared.contracts import CustomerRegistered, CustomerUpdated


@dataclass(frozen=True, slots=True)
class IdentityConfig:
    """Settings the use cases need, read once at start-up."""

    policy: SurvivorshipPolicy
    max_postings: int = 1000
    max_candidates: int = 50
    max_batch: int = 10_000
    tf_min_count: int = 10
    fit_sample_records: int = 20_000
    fit_random_pairs: int = 50_000


@dataclass(frozen=True, slots=True)
class Actor:
    """Who calls, and whether they may see PII unmasked (``pii:read``)."""

    subject: str
    pii: bool = False


def now() -> dt.datetime:
    """The current UTC time."""
    return dt.datetime.now(dt.UTC)


def history_row(
    customer_id: str,
    kind: str,
    *,
    actor: Actor,
    at: dt.datetime,
    other_id: str | None = None,
    **detail: Any,
) -> dict[str, Any]:
    """One ``customer_event`` row (``detail`` must hold no PII)."""
    return {
        "customer_id": customer_id,
        "kind": kind,
        "other_id": other_id,
        "detail": detail,
        "actor": actor.subject,
        "correlation_id": context.correlation_id.get(),
        "occurred_at": at,
    }


async def decrypt_records(
    uow: IdentityUnitOfWork, rows: Iterable[StoredRecord]
) -> dict[int, SourceRecord]:
    """The plaintext of stored records, by row id, each under its owner's data key."""
    rows = list(rows)
    keys = await uow.keys.load({r.customer_id for r in rows})
    out = {}
    for row in rows:
        assert row.payload is not None, "select the payload to decrypt it"
        plain = decrypt(keys[row.customer_id], row.payload, aad=record_aad(*row.key))
        out[row.id] = decode_record(plain)
    return out


def seal(record: SourceRecord, data_key: bytes) -> bytes:
    """A record encrypted for storage under a customer's data key."""
    return encrypt(data_key, encode_record(record), aad=record_aad(*record.key))


@dataclass(frozen=True, slots=True)
class Summary:
    """The non-PII facts kept on the customer row and carried by events."""

    home_branch: str | None
    branches: list[str]
    channels: list[str]


def summarize(records: Sequence[StoredRecord | SourceRecord]) -> Summary:
    """Home branch and every branch and channel, by the survivorship rules, without PII."""
    stubs = [
        r
        if isinstance(r, SourceRecord)
        else SourceRecord(
            r.source_system,
            r.source_record_id,
            branch=r.branch,
            channel=r.channel,
            observed_at=_aware(r.observed_at),
        )
        for r in records
    ]
    home, branches, channels = branch_summary(stubs)
    return Summary(home, list(branches), list(channels))


def _aware(at: dt.datetime | None) -> dt.datetime | None:
    return at.replace(tzinfo=dt.UTC) if at is not None and at.tzinfo is None else at


async def refresh_customers(
    uow: IdentityUnitOfWork,
    config: IdentityConfig,
    *,
    created: Mapping[str, tuple[str, Summary]],
    changed: Mapping[str, Iterable[str]],
    pending_review: Iterable[str] = (),
) -> None:
    """Publish ``registered`` for new customers; update and publish existing ones that changed.

    ``created`` maps each new customer to its kind and summary (stored with it); ``changed``
    maps existing customers to the attributes their new records supply.
    """
    at, reviewing = now(), set(pending_review)
    for customer_id, (kind, summary) in created.items():
        review = customer_id in reviewing
        uow.publish(_registered(customer_id, kind, summary, at, review))
    existing = set(changed) - set(created)
    if not existing:
        return
    found = await uow.customers.with_records(existing)
    updates = []
    for customer_id in sorted(found):
        old, rows = found[customer_id]
        summary = summarize(rows)
        diff = _diff(old, summary)
        if diff:
            updates.append(_update(customer_id, summary))
        attrs = sorted(set(changed[customer_id]) | set(diff))
        uow.publish(_updated(customer_id, old.kind, summary, attrs, at))
    uow.queue_summaries(updates, at=at)  # stored with the outbox rows, before the commit


def _update(customer_id: str, summary: Summary) -> dict[str, Any]:
    return {
        "cid": customer_id,
        "home_branch": summary.home_branch,
        "branches": summary.branches,
        "channels": summary.channels,
    }


def _diff(old: Any, summary: Summary) -> list[str]:
    names = ("home_branch", "branches", "channels")
    return [n for n in names if getattr(old, n) != getattr(summary, n)]


def _registered(
    customer_id: str, kind: str, summary: Summary, at: dt.datetime, review: bool
) -> CustomerRegistered:
    return CustomerRegistered(
        customer_id=customer_id,
        kind="organization" if kind == "organization" else "person",
        home_branch=summary.home_branch,
        branches=summary.branches,
        channels=summary.channels,
        pending_review=review,
        occurred_at=at,
    )


def _updated(
    customer_id: str, kind: str, summary: Summary, changed: list[str], at: dt.datetime
) -> CustomerUpdated:
    return CustomerUpdated(
        customer_id=customer_id,
        kind="organization" if kind == "organization" else "person",
        home_branch=summary.home_branch,
        branches=summary.branches,
        channels=summary.channels,
        changed=changed,
        occurred_at=at,
    )


def supplied(record: SourceRecord) -> set[str]:
    """The golden-record attributes a record has a value for (what it may have changed)."""
    present = {
        "name": record.given_name or record.family_name or record.full_name,
        "birth_date": record.birth_date,
        "gender": record.gender,
        "address": record.address,
        "identifiers": record.identifiers,
    }
    return {name for name, value in present.items() if value}


def changed_attributes(old: SourceRecord, new: SourceRecord) -> set[str]:
    """The golden-record attributes on which two versions of a record differ."""
    pairs = {
        "name": ((old.given_name, old.family_name, old.full_name),
                 (new.given_name, new.family_name, new.full_name)),
        "birth_date": (old.birth_date, new.birth_date),
        "gender": (old.gender, new.gender),
        "address": (old.address, new.address),
        "identifiers": (set(old.identifiers), set(new.identifiers)),
        "branches": (old.branch, new.branch),
        "channels": (old.channel, new.channel),
    }  # fmt: skip
    return {name for name, (a, b) in pairs.items() if a != b}
