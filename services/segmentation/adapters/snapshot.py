"""Side connections that read one snapshot of the database: the recompute's reads.

On PostgreSQL the first connection opens a repeatable-read transaction and exports its snapshot,
the others import it: reads spread over several connections (and so over the cores) all see the
same committed state, while folding goes on writing. SQLite has no such thing; there the
recompute reads on its own connection.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from services.segmentation.adapters.uow import SegmentationUoW
from shared.db.arrays import is_postgres

_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+-[0-9]+")


@asynccontextmanager
async def snapshot_sessions(uow: SegmentationUoW, count: int) -> AsyncIterator[list[AsyncSession]]:
    """``count`` side connections reading one snapshot (none on SQLite), read-only."""
    if not is_postgres(uow.session):
        yield []
        return
    async with AsyncExitStack() as stack:
        sessions = [await stack.enter_async_context(uow.side_session()) for _ in range(count)]
        for session in sessions:
            await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        exported = str(await sessions[0].scalar(text("SELECT pg_export_snapshot()")))
        if not _SNAPSHOT_ID.fullmatch(exported):  # it goes into SQL text: SET takes no parameter
            raise RuntimeError(f"unexpected snapshot id {exported!r}")
        for session in sessions[1:]:
            await session.execute(text(f"SET TRANSACTION SNAPSHOT '{exported}'"))
        yield sessions
