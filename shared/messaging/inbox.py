"""The idempotent inbox: an event id recorded in the same transaction as the effects it caused."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.envelope import Envelope


async def claim(
    session: AsyncSession, inbox: Table, events: Sequence[tuple[str, Envelope]]
) -> list[int]:
    """Record unseen events; return the positions of those not processed before.

    ``events`` are (topic, envelope) pairs. A duplicate within the batch counts once. Two
    consumers claiming the same id at once collide on the primary key, so one of them fails
    its commit and retries, finding the id taken.
    """
    ids = {env.id for _, env in events}
    seen = set(
        (await session.execute(select(inbox.c.event_id).where(inbox.c.event_id.in_(ids)))).scalars()
    )
    now = datetime.now(UTC)
    fresh: list[int] = []
    rows = []
    for position, (topic, env) in enumerate(events):
        if env.id in seen:
            continue
        seen.add(env.id)
        fresh.append(position)
        rows.append(
            {"event_id": env.id, "event_type": env.type, "topic": topic, "received_at": now}
        )
    if rows:
        await session.execute(insert(inbox), rows)
    return fresh


async def prune(session: AsyncSession, inbox: Table, *, older_than: timedelta) -> int:
    """Forget inbox entries older than the broker could still redeliver."""
    cutoff = datetime.now(UTC) - older_than
    result = await session.execute(delete(inbox).where(inbox.c.received_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
