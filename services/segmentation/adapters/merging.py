"""Identity changes in storage: fold a merged customer into the survivor; erase a customer."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Table, delete, func, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.segmentation.adapters import profiles as store
from services.segmentation.adapters.activity import ActivityBuffer
from services.segmentation.adapters.orm import (
    activity_day,
    balance_snapshot,
    customer_alias,
    customer_profile,
    customer_value,
    product_holding,
    segment_member,
)
from services.segmentation.adapters.sql import upsert
from services.segmentation.domain.activity import DAY_FIELDS
from services.segmentation.domain.profile import merge_profiles
from shared.db.arrays import is_postgres

_CUSTOMER_TABLES: tuple[Table, ...] = (
    activity_day,
    balance_snapshot,
    product_holding,
    customer_value,
    segment_member,
    customer_profile,
)


async def merge_customers(
    buffer: ActivityBuffer, *, survivor_id: str, merged_id: str, at: dt.datetime
) -> None:
    """Fold everything known about ``merged_id`` into ``survivor_id`` and alias the old id."""
    await buffer.flush()
    await buffer.lock()
    session = buffer.session
    aliases = await store.resolve_aliases(session, {survivor_id, merged_id})
    survivor_id = aliases.get(survivor_id, survivor_id)
    if merged_id in aliases or merged_id == survivor_id:
        return  # merged before: a redelivery, or a chain already resolved
    profiles = await buffer.profiles_for({survivor_id, merged_id})
    survivor, merged = profiles[survivor_id], profiles[merged_id]
    await _move_buckets(session, survivor_id, merged_id)
    merge_profiles(survivor, merged)
    survivor.active_days = await _active_days(session, survivor_id)
    await _move_holdings(session, survivor_id, merged_id)
    codes, kinds = (await store.held_products(session, {survivor_id}))[survivor_id]
    survivor.products, survivor.product_kinds = ",".join(codes), ",".join(kinds)
    for table in (balance_snapshot, customer_profile):
        await session.execute(delete(table).where(table.c.customer_id == merged_id))
    await store.save_profiles(session, [survivor], now=buffer.now())
    await _alias(session, survivor_id, merged_id, at)
    buffer.forget(merged_id, "merged")
    buffer.touched.add(survivor_id)


async def _move_buckets(session: AsyncSession, survivor_id: str, merged_id: str) -> None:
    dialect = postgresql if is_postgres(session) else sqlite
    fields = list(DAY_FIELDS)
    source = select(
        literal(survivor_id).label("customer_id"),
        activity_day.c.day,
        *(activity_day.c[f] for f in fields),
    ).where(activity_day.c.customer_id == merged_id)
    statement = dialect.insert(activity_day).from_select(["customer_id", "day", *fields], source)
    statement = statement.on_conflict_do_update(
        index_elements=["customer_id", "day"],
        set_={f: activity_day.c[f] + statement.excluded[f] for f in fields},
    )
    await session.execute(statement)
    await session.execute(delete(activity_day).where(activity_day.c.customer_id == merged_id))


async def _active_days(session: AsyncSession, customer_id: str) -> int:
    query = select(func.count()).where(
        activity_day.c.customer_id == customer_id, activity_day.c.txn_count > 0
    )
    return int(await session.scalar(query) or 0)


async def _move_holdings(session: AsyncSession, survivor_id: str, merged_id: str) -> None:
    t = product_holding
    theirs = select(t.c.account_id).where(t.c.customer_id == survivor_id).scalar_subquery()
    await session.execute(
        update(t)
        .where(t.c.customer_id == merged_id, t.c.account_id.not_in(theirs))
        .values(customer_id=survivor_id)
    )
    await session.execute(delete(t).where(t.c.customer_id == merged_id))


async def _alias(session: AsyncSession, survivor_id: str, merged_id: str, at: dt.datetime) -> None:
    t = customer_alias
    await session.execute(
        update(t).where(t.c.survivor_id == merged_id).values(survivor_id=survivor_id)
    )
    row = {"merged_id": merged_id, "survivor_id": survivor_id, "merged_at": at}
    await upsert(session, t, [row], keys=["merged_id"])


async def unmerge_customer(buffer: ActivityBuffer, *, restored_id: str) -> None:
    """Let ``restored_id`` stand on its own again; what was folded stays with the survivor."""
    await buffer.flush()
    await buffer.session.execute(
        delete(customer_alias).where(customer_alias.c.merged_id == restored_id)
    )


async def erase_customer(buffer: ActivityBuffer, *, customer_id: str) -> None:
    """Delete every row about the customer: profile, buckets, balances, products, values."""
    await buffer.flush()
    await buffer.lock()
    session = buffer.session
    for table in _CUSTOMER_TABLES:
        await session.execute(delete(table).where(table.c.customer_id == customer_id))
    t = customer_alias
    await session.execute(
        delete(t).where((t.c.merged_id == customer_id) | (t.c.survivor_id == customer_id))
    )
    buffer.forget(customer_id, "erased")
