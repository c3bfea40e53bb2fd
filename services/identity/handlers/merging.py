"""Merge and unmerge customers, keeping every record's original customer so both undo exactly.

Keys: a customer's data key encrypts exactly the records it owns. A merge re-encrypts the
merged customer's records under the survivor's key and destroys the merged customer's key; an
unmerge gives the restored customer a new key and re-encrypts its records under it. So erasing
a customer (destroying one key) always shreds every record it holds, merged ones included.
Which records an unmerge gives back: those whose original customer is the restored one or was
itself merged into it earlier (its subtree), wherever they arrived since.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from services.identity.adapters.customers import CustomerRow
from services.identity.adapters.records import StoredRecord
from services.identity.adapters.uow import IdentityUnitOfWork
from services.identity.handlers.common import (
    Actor,
    IdentityConfig,
    decrypt_records,
    history_row,
    now,
    refresh_customers,
    seal,
)
from shared.contracts import CustomerMerged, CustomerUnmerged
from shared.errors import Conflict, NotFound


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    """Who survived, who was merged or restored, and how many records moved."""

    survivor_id: str
    other_id: str
    records_moved: int


async def active(uow: IdentityUnitOfWork, customer_id: str) -> CustomerRow:
    """An active customer, or NotFound / Conflict saying what it is instead."""
    row = await uow.customers.get(customer_id)
    if row is None:
        raise NotFound(f"no customer {customer_id}")
    if row.status == "merged":
        raise Conflict(f"customer {customer_id} was merged into {row.merged_into}")
    if row.status == "erased":
        raise Conflict(f"customer {customer_id} was erased")
    return row


async def move_records(uow: IdentityUnitOfWork, rows: Sequence[StoredRecord], to: str) -> None:
    """Give records to customer ``to``, re-encrypted under its data key."""
    if not rows:
        return
    plain = await decrypt_records(uow, rows)
    target = (await uow.keys.load([to]))[to]
    changes = [
        {"rid": row.id, "customer_id": to, "payload": seal(plain[row.id], target)} for row in rows
    ]
    await uow.records.rewrite(changes)


def _pair(
    one: tuple[str, str],
    two: tuple[str, str],
    records: int,
    reason: str,
    actor: Actor,
    at: dt.datetime,
) -> list[dict[str, Any]]:
    """History rows for both sides of a merge or an unmerge, each naming the other."""
    (kind_one, id_one), (kind_two, id_two) = one, two
    return [
        history_row(id_one, kind_one, actor=actor, at=at, other_id=id_two, records=records,
                    reason=reason),
        history_row(id_two, kind_two, actor=actor, at=at, other_id=id_one, records=records,
                    reason=reason),
    ]  # fmt: skip


async def merge(
    survivor_id: str,
    other_id: str,
    *,
    reason: str,
    uow: IdentityUnitOfWork,
    config: IdentityConfig,
    actor: Actor,
) -> MergeOutcome:
    """Fold ``other_id`` into ``survivor_id``: records move, the id answers with the survivor."""
    await uow.lock_registry()
    if survivor_id == other_id:
        raise Conflict("a customer cannot be merged into itself")
    survivor, other = await active(uow, survivor_id), await active(uow, other_id)
    if survivor.kind != other.kind:
        raise Conflict(f"cannot merge a {other.kind} into a {survivor.kind}")
    rows = await uow.records.of_customers([other.id], payload=True)
    await move_records(uow, rows, survivor.id)
    await uow.keys.destroy([other.id])
    at = now()
    await uow.customers.set_status([other.id], status="merged", merged_into=survivor.id, at=at)
    await uow.reviews.obsolete_between(survivor.id, other.id, by=actor.subject, at=at)
    await uow.history.add(
        _pair(("merged", survivor.id), ("merged_into", other.id), len(rows), reason, actor, at)
    )
    uow.publish(
        CustomerMerged(survivor_id=survivor.id, merged_id=other.id, reason=reason, occurred_at=at)
    )
    await refresh_customers(uow, config, created={}, changed={survivor.id: {"records"}})
    return MergeOutcome(survivor.id, other.id, len(rows))


async def unmerge(
    survivor_id: str,
    restore_id: str,
    *,
    reason: str,
    uow: IdentityUnitOfWork,
    config: IdentityConfig,
    actor: Actor,
) -> MergeOutcome:
    """Undo the merge of ``restore_id`` into ``survivor_id``: both golden records as before."""
    await uow.lock_registry()
    survivor = await active(uow, survivor_id)
    restored = await uow.customers.get(restore_id)
    if restored is None:
        raise NotFound(f"no customer {restore_id}")
    if restored.status != "merged" or restored.merged_into != survivor.id:
        raise Conflict(f"customer {restore_id} is not merged into {survivor_id}")
    tree = set(await uow.customers.subtree(restored.id))
    held = await uow.records.of_customers([survivor.id], payload=True)
    rows = [row for row in held if row.original_customer_id in tree]
    at = now()
    await uow.keys.create([restored.id], at=at)
    await move_records(uow, rows, restored.id)
    await uow.customers.set_status([restored.id], status="active", merged_into=None, at=at)
    await uow.history.add(
        _pair(("unmerged", survivor.id), ("restored", restored.id), len(rows), reason, actor, at)
    )
    uow.publish(
        CustomerUnmerged(
            survivor_id=survivor.id, restored_id=restored.id, reason=reason, occurred_at=at
        )
    )
    changed = {survivor.id: {"records"}, restored.id: {"records"}}
    await refresh_customers(uow, config, created={}, changed=changed)
    return MergeOutcome(survivor.id, restored.id, len(rows))
