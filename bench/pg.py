"""A throw-away PostgreSQL database for a benchmark run (same server as the tests)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

PG_SERVER = os.environ.get("IDIC_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")


async def admin(sql: str) -> None:
    """Run one statement on the server's maintenance database, outside a transaction."""
    engine = create_async_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


@asynccontextmanager
async def scratch_database(prefix: str = "idic_bench") -> AsyncIterator[str]:
    """Create a fresh database, yield its URL, drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
