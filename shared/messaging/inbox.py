"""The idempotent inbox: an event id recorded in the same transaction as the effects it caused."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.arrays import in_array, insert_columns
from shared.envelope import Envelope


async def claim(
    session: AsyncSession, inbox: Table, events: Sequence[tuple[str, Envelope]]
) -> list[int]:
    """Record unseen events; return the positions of those not processed before.

    ``events`` are (topic, envelope) pairs. A duplicate within the batch counts once. Two
    consumers claiming the same id at once collide on the primary key, so one of them fails
    its commit and retries, finding the id taken.
    """
    ids = sorted({env.id for _, env in events})
    query = select(inbox.c.event_id).where(in_array(session, inbox.c.event_id, ids))
    seen = set((await session.execute(query)).scalars())
    fresh: list[int] = []
    columns: dict[str, list[object]] = {"event_id": [], "event_type": [], "topic": []}
    for position, (topic, env) in enumerate(events):
        if env.id in seen:
            continue
        seen.add(env.id)
        fresh.append(position)
        columns["event_id"].append(env.id)
        columns["event_type"].append(env.type)
        columns["topic"].append(topic)
    columns["received_at"] = [datetime.now(UTC)] * len(fresh)
    await insert_columns(session, inbox, columns)
    return fresh


async def prune(session: AsyncSession, inbox: Table, *, older_than: timedelta) -> int:
    """Forget inbox entries older than the broker could still redeliver."""
    cutoff = datetime.now(UTC) - older_than
    result = await session.execute(delete(inbox).where(inbox.c.received_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
