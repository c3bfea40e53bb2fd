"""Every service's Alembic tree: upgrade, schema equal to the models, downgrade to nothing."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from idic.catalog import SERVICES
from shared.db.engine import create_engine
from shared.db.migrations import downgrade, upgrade


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_migrations_round_trip_and_match_the_models(
    service: str, fresh_database: str
) -> None:
    spec = SERVICES[service]
    metadata = spec.module("adapters.orm").metadata
    engine = create_engine(fresh_database)
    try:
        await upgrade(engine, spec.migrations)
        async with engine.connect() as connection:
            tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
            diff = await connection.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), metadata)
            )
        assert {"outbox_message", "inbox_message", "idempotency_key"} <= tables
        assert diff == [], f"models and migrations disagree: {diff}"
        await downgrade(engine, spec.migrations, "base")
        async with engine.connect() as connection:
            left = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        assert left == {"alembic_version"}
    finally:
        await engine.dispose()


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_migrations_run_on_sqlite(service: str, tmp_path: object) -> None:
    spec = SERVICES[service]
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/{service}.db")
    try:
        await upgrade(engine, spec.migrations)
        async with engine.connect() as connection:
            tables = set(await connection.run_sync(lambda c: inspect(c).get_table_names()))
        assert "outbox_message" in tables
    finally:
        await engine.dispose()
