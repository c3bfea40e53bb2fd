"""The recompute's segment memberships, written beside its values on a second connection.

On a 2-core host a first valuation's two big writes, a million values and half a million
memberships, take one backend each about as long; one after the other on one connection the
second core idles. So the memberships, their events and the segments' evaluation time go
through a transaction of their own on a side connection, committed just before the
recompute's own. The recompute holds the valuation lock exclusively throughout, so nobody else
writes memberships meanwhile. Should the recompute fail after that commit, the memberships and
their events stand together, and its next run publishes the values it did not. SQLite, with
one writer at a time, writes them in the recompute's own transaction, after the values.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import polars as pl
from sqlalchemy.ext.asyncio import AsyncSession

from services.segmentation.adapters.bulk import delete_frame, load_frame
from services.segmentation.adapters.orm import segment_member
from services.segmentation.adapters.population import read_memberships
from services.segmentation.adapters.repositories import SegmentRepository
from services.segmentation.adapters.uow import SegmentationUoW
from services.segmentation.domain import publication
from services.segmentation.domain.rules import evaluate_segments_frame
from services.segmentation.handlers.publishing import membership_change_rows, write_events
from services.segmentation.handlers.valuation import Context
from shared.db.arrays import is_postgres
from shared.db.timestamps import instant


@asynccontextmanager
async def members_session(uow: SegmentationUoW) -> AsyncIterator[AsyncSession | None]:
    """A side connection for the memberships; None on SQLite (they go in the recompute's)."""
    if not is_postgres(uow.session):
        yield None
        return
    async with uow.side_session() as side:
        yield side


async def publish_memberships(
    uow: SegmentationUoW, side: AsyncSession, context: Context, valued: pl.DataFrame
) -> publication.MembershipChanges | None:
    """Evaluate every segment for everyone; write the changes and their events on ``side``
    (not committed). None when there is no segment."""
    if not context.definitions:
        return None
    async with asyncio.TaskGroup() as group:
        old = group.create_task(read_memberships(side))
        new = await asyncio.to_thread(_memberships, context, valued)
    # customers folded or erased since the read are not valued here: their memberships stay
    ids = valued.select("customer_id")
    changes = publication.membership_changes(old.result().join(ids, on="customer_id"), new)
    async with asyncio.TaskGroup() as group:
        events = group.create_task(asyncio.to_thread(_events, uow, context, changes))
        await _store(uow, side, changes, present=old.result().height)
    await write_events(uow, events.result(), session=side)
    await SegmentRepository(side).mark_evaluated(context.definitions.keys(), at=uow.now())
    return changes


def _memberships(context: Context, valued: pl.DataFrame) -> pl.DataFrame:
    members = evaluate_segments_frame(context.definitions, valued)
    return publication.memberships(valued["customer_id"], members)


async def _store(
    uow: SegmentationUoW,
    side: AsyncSession,
    changes: publication.MembershipChanges,
    *,
    present: int,
) -> None:
    # In key order every insert lands on the primary key's rightmost leaf: twice as fast.
    entered = changes.entered.sort("segment_id", "customer_id")
    entered = entered.with_columns(instant(uow.now()).alias("entered_at"))
    await load_frame(side, segment_member, entered, present=present)
    await delete_frame(side, segment_member, changes.exited, keys=["segment_id", "customer_id"])


def _events(
    uow: SegmentationUoW, context: Context, changes: publication.MembershipChanges
) -> pl.DataFrame:
    return membership_change_rows(
        uow, entered=changes.entered, exited=changes.exited, names=context.names
    )
