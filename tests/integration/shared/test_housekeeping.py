"""Housekeeping forgets old inbox ids and idempotency keys, and keeps recent ones."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from services.interaction.bootstrap import bootstrap
from shared.messaging.housekeeping import prune_once
from tests.support import migrate, settings_for


async def test_old_rows_go_and_recent_rows_stay(databases: dict[str, str]) -> None:
    await migrate("interaction", databases["interaction"])
    container = bootstrap(settings_for("interaction", database_url=databases["interaction"]))
    tables = container.runtime.tables
    now = datetime.now(UTC)
    old, recent = f"old-{uuid.uuid4()}", f"new-{uuid.uuid4()}"
    try:
        async with container.runtime.sessions() as session, session.begin():
            for event_id, at in ((old, now - timedelta(days=30)), (recent, now)):
                await session.execute(
                    insert(tables.inbox).values(
                        event_id=event_id, event_type="a.b.c.v1", topic="t", received_at=at
                    )
                )
                await session.execute(
                    insert(tables.idempotency).values(
                        principal="p",
                        key=event_id,
                        request_hash="h",
                        status_code=201,
                        body="{}",
                        created_at=at,
                    )
                )
        await prune_once(container.runtime)
        async with container.runtime.sessions() as session:
            inbox_ids = set((await session.execute(select(tables.inbox.c.event_id))).scalars())
            keys = set((await session.execute(select(tables.idempotency.c.key))).scalars())
        assert recent in inbox_ids and old not in inbox_ids
        assert recent in keys and old not in keys
    finally:
        await container.runtime.close()
