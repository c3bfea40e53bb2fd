"""Reading customers: golden record, source records, lookup by identifier, history.

The golden record is rebuilt from the customer's source records on every read (survivorship
is a pure function of them), so nothing derived can drift from the records, and an unmerge
restores it exactly. A read that returns PII unmasked is written to the audit log first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.identity.adapters.audit import AuditEntry
from services.identity.adapters.customers import CustomerRow
from services.identity.adapters.records import StoredRecord
from services.identity.adapters.uow import IdentityUnitOfWork
from services.identity.domain import (
    GoldenRecord,
    InvalidInput,
    SourceRecord,
    blocking_keys,
    build_golden_record,
    normalize_identifier,
    prepare,
)
from services.identity.handlers.common import Actor, IdentityConfig, decrypt_records, now
from shared import context
from shared.errors import Invalid, NotFound

MAX_MERGE_HOPS = 64


@dataclass(frozen=True, slots=True)
class CustomerView:
    """One customer as read: its row, golden record, records and the ids merged into it."""

    customer: CustomerRow
    requested_id: str
    golden: GoldenRecord | None
    records: list[tuple[StoredRecord, SourceRecord]]
    merged_ids: list[str]


async def survivor(uow: IdentityUnitOfWork, customer_id: str) -> CustomerRow:
    """The customer an id stands for now: itself, or the survivor of its merges."""
    row = await uow.customers.get(customer_id)
    for _ in range(MAX_MERGE_HOPS):
        if row is None:
            raise NotFound(f"no customer {customer_id}")
        if row.status != "merged" or row.merged_into is None:
            return row
        row = await uow.customers.get(row.merged_into)
    raise NotFound(f"customer {customer_id}: merge chain too long")


async def audit_read(
    uow: IdentityUnitOfWork, actor: Actor, customer_ids: list[str], *, resource: str
) -> None:
    """Record that ``actor`` saw these customers' PII unmasked."""
    at, correlation = now(), context.correlation_id.get()
    await uow.audit.append(
        [
            AuditEntry(actor.subject, "pii.read", cid, resource, correlation, at)
            for cid in customer_ids
        ]
    )


async def view(
    uow: IdentityUnitOfWork, config: IdentityConfig, row: CustomerRow, requested_id: str
) -> CustomerView:
    """Decrypt a customer's records and rebuild its golden record."""
    stored = (
        await uow.records.of_customers([row.id], payload=True) if row.status == "active" else []
    )
    plain = await decrypt_records(uow, stored)
    records = [(s, plain[s.id]) for s in stored]
    golden = build_golden_record([r for _, r in records], config.policy) if records else None
    merged = await uow.customers.merged_into([row.id])
    return CustomerView(row, requested_id, golden, records, sorted(merged))


async def get_customer(
    customer_id: str,
    *,
    uow: IdentityUnitOfWork,
    config: IdentityConfig,
    actor: Actor,
    resource: str,
) -> CustomerView:
    """A customer's golden record (a merged id answers with its survivor)."""
    row = await survivor(uow, customer_id)
    found = await view(uow, config, row, customer_id)
    if actor.pii and found.records:
        await audit_read(uow, actor, [row.id], resource=resource)
    return found


async def lookup(
    identifier_type: str,
    value: str,
    *,
    uow: IdentityUnitOfWork,
    config: IdentityConfig,
    actor: Actor,
    resource: str,
) -> list[CustomerView]:
    """Customers holding an identifier, found through its blind index."""
    try:
        identifier = normalize_identifier(identifier_type, value)
    except InvalidInput as exc:
        errors = [{"field": exc.field, "rule": exc.rule, "message": exc.message}]
        raise Invalid(f"{exc.field}: {exc.message}", errors=errors) from None
    probe = prepare(SourceRecord("lookup", "lookup", identifiers=(identifier,)))
    ids: set[str] = set()
    for key in blocking_keys(probe):
        ids |= set(await uow.records.customers_under(uow.vault.blind(key)))
    rows = await uow.customers.get_many(ids)
    views = [await view(uow, config, rows[i], i) for i in sorted(rows)]
    if actor.pii and views:
        await audit_read(uow, actor, [v.customer.id for v in views], resource=resource)
    return views


async def history(
    customer_id: str, *, uow: IdentityUnitOfWork, limit: int, before: int | None
) -> list[Any]:
    """A customer's history, newest first (the id as asked, not its survivor)."""
    if await uow.customers.get(customer_id) is None:
        raise NotFound(f"no customer {customer_id}")
    return await uow.history.of(customer_id, limit=limit, before=before)
