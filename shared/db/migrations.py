"""Alembic wiring shared by every service's migration tree.

Each service's ``migrations/env.py`` calls `run_env` with its MetaData. Migrations run on a
connection handed in through ``config.attributes`` (from async code: tests, start-up) or on a
fresh engine built from the configured URL (the ``idic migrate`` command).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.engine import create_engine, is_sqlite, make_metadata
from shared.db.messaging import MessagingTables

_LOCK_KEY = 7_310_431_337  # any constant: one lock for every migration on a server


def alembic_config(script_location: Path, url: str) -> Config:
    """An Alembic Config for one service's tree, without an ini file."""
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade(engine: AsyncEngine, script_location: Path, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision``."""
    await _run(engine, script_location, lambda cfg: command.upgrade(cfg, revision))


async def downgrade(engine: AsyncEngine, script_location: Path, revision: str = "base") -> None:
    """Downgrade the database behind ``engine`` to ``revision``."""
    await _run(engine, script_location, lambda cfg: command.downgrade(cfg, revision))


async def _run(engine: AsyncEngine, script_location: Path, action: object) -> None:
    url = engine.url.render_as_string(hide_password=False)
    config = alembic_config(script_location, url)

    def _in_connection(connection: Connection) -> None:
        config.attributes["connection"] = connection
        action(config)  # type: ignore[operator]

    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Several pods may migrate at once (a Job and init containers): take turns.
            await connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        await connection.run_sync(_in_connection)


def run_env(target_metadata: MetaData) -> None:
    """Body of a service's ``env.py``: run migrations online or emit SQL offline."""
    config = context.config
    url = config.get_main_option("sqlalchemy.url") or ""
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection, target_metadata)
        return
    asyncio.run(_run_fresh(url, target_metadata))


async def _run_fresh(url: str, target_metadata: MetaData) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run_on, target_metadata)
    finally:
        await engine.dispose()


def _run_on(connection: Connection, target_metadata: MetaData) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=is_sqlite(str(connection.engine.url)),
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def upgrade_messaging_v1() -> None:
    """Create the outbox, inbox and idempotency tables (a service's first migration)."""
    from alembic import op

    tables = MessagingTables(make_metadata())
    for table in (tables.outbox, tables.inbox, tables.idempotency):
        table.create(op.get_bind())


def downgrade_messaging_v1() -> None:
    """Drop what `upgrade_messaging_v1` created."""
    from alembic import op

    tables = MessagingTables(make_metadata())
    for table in (tables.idempotency, tables.inbox, tables.outbox):
        table.drop(op.get_bind())
