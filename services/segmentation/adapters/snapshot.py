"""Side connections that read one snapshot of the database: the recompute's reads.

On PostgreSQL the first connection opens a repeatable-read transaction and exports its snapshot,
the others import it: reads spread over several connections (and so over the cores) all see the
same committed state, while folding goes on writing. Later, `changed_since` tells which
profiles were written since that snapshot. SQLite has no such thing; there the recompute reads
on its own connection.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import polars as pl
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.segmentation.adapters.uow import SegmentationUoW
from shared.db.arrays import is_postgres

_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+-[0-9]+")
_XID_WRAP = 2**32  # a row's xmin is the low 32 bits of a snapshot's 64-bit transaction ids


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Connections reading one snapshot, and the transactions it does not see."""

    sessions: Sequence[AsyncSession]
    xmax: int  # the first transaction id it does not see (32 bits)
    in_progress: tuple[int, ...]  # earlier ones still running when it was taken


@asynccontextmanager
async def snapshot_sessions(uow: SegmentationUoW, count: int) -> AsyncIterator[Snapshot | None]:
    """``count`` side connections reading one snapshot (None on SQLite)."""
    if not is_postgres(uow.session):
        yield None
        return
    async with AsyncExitStack() as stack:
        sessions = [await stack.enter_async_context(uow.side_session()) for _ in range(count)]
        for session in sessions:
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        row = (
            await sessions[0].execute(
                text("SELECT pg_export_snapshot(), pg_current_snapshot()::text")
            )
        ).one()
        exported, current = str(row[0]), str(row[1])
        if not _SNAPSHOT_ID.fullmatch(exported):  # it goes into SQL text: SET takes no parameter
            raise RuntimeError(f"unexpected snapshot id {exported!r}")
        for session in sessions[1:]:
            await session.execute(text(f"SET TRANSACTION SNAPSHOT '{exported}'"))
        _, xmax, running = current.split(":")
        in_progress = tuple(int(x) % _XID_WRAP for x in running.split(",") if x)
        yield Snapshot(sessions, int(xmax) % _XID_WRAP, in_progress)


# A row version the snapshot saw was written by a transaction before its xmax, not among those
# it saw running; age() compares transaction ids across wraparound, and is largest for frozen
# rows, which every snapshot sees.
_CHANGED_SINCE = text(
    "SELECT count(*) FILTER (WHERE seen), coalesce(array_agg(customer_id) FILTER (WHERE NOT seen),"
    " '{}') FROM (SELECT customer_id, age(xmin) > age(CAST(:xmax AS text)::xid)"
    " AND xmin <> ALL(CAST(:running AS text[])::xid[]) AS seen FROM customer_profile) p"
)


async def changed_since(session: AsyncSession, snapshot: Snapshot) -> tuple[int, pl.Series]:
    """How many profiles are as the snapshot saw them, and the ids of those written since
    (changed or new)."""
    running = [str(x) for x in snapshot.in_progress]
    row = (
        await session.execute(_CHANGED_SINCE, {"xmax": str(snapshot.xmax), "running": running})
    ).one()
    return int(row[0]), pl.Series("customer_id", list(row[1]), dtype=pl.String)
