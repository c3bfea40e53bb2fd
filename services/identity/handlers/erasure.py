"""Erasure by crypto-shredding: destroy the data key, then every trace that points at it.

After ``erase``, nothing of the customer can be read: its data key is deleted (so any copy of
its ciphertext, in a replica or a backup taken after the key's backups expire, is noise), its
records and their blind-index rows are deleted, and reviews naming it go. What stays is the
tombstone row (id, status ``erased``), its history (ids, counts, actors: no PII) and the audit
log. Every id merged into the customer is erased with it: they are the same person.
"""

from __future__ import annotations

from services.identity.adapters.audit import AuditEntry
from services.identity.adapters.uow import IdentityUnitOfWork
from services.identity.handlers.common import Actor, history_row, now
from shared import context
from shared.contracts import CustomerErased
from shared.errors import Conflict, NotFound


async def erase(
    customer_id: str, *, uow: IdentityUnitOfWork, actor: Actor, resource: str
) -> list[str]:
    """Erase a customer and every id merged into it; the ids erased (none if already gone)."""
    await uow.lock_registry()
    row = await uow.customers.get(customer_id)
    if row is None:
        raise NotFound(f"no customer {customer_id}")
    if row.status == "erased":
        return []
    if row.status == "merged":
        raise Conflict(
            f"customer {customer_id} was merged into {row.merged_into}: erase that customer"
        )
    tree = await uow.customers.subtree(row.id)
    records = await uow.records.of_customers([row.id], payload=False)
    await uow.keys.destroy(tree)
    await uow.reviews.delete_involving(tree)
    await uow.records.delete([r.id for r in records])
    at = now()
    await uow.customers.set_status(tree, status="erased", merged_into=None, at=at)
    await uow.history.add(
        [history_row(cid, "erased", actor=actor, at=at, records=len(records)) for cid in tree]
    )
    correlation = context.correlation_id.get()
    await uow.audit.append(
        [
            AuditEntry(actor.subject, "customer.erase", cid, resource, correlation, at)
            for cid in tree
        ]
    )
    for cid in tree:
        uow.publish(CustomerErased(customer_id=cid, occurred_at=at))
    return tree
