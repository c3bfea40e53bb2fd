"""A load that outgrows its table rebuilds the table's indexes, exactly as they were."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import polars as pl
import pytest
from asyncpg.exceptions import UniqueViolationError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.segmentation.adapters.bulk import load_frame
from services.segmentation.adapters.orm import customer_value, segment_member
from shared.db.engine import create_engine
from shared.db.timestamps import instant
from tests.support import migrate

pytestmark = pytest.mark.xdist_group("segmentation")

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
INDEXES = text(
    "SELECT indexrelid::regclass::text, indexrelid, pg_get_indexdef(indexrelid) "
    "FROM pg_index WHERE indrelid = to_regclass(:t) ORDER BY 1"
)


@pytest.fixture
async def sessions(fresh_database: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    await migrate("segmentation", fresh_database)
    engine = create_engine(fresh_database)
    yield async_sessionmaker(engine)
    await engine.dispose()


def values(ids: range) -> pl.DataFrame:
    names = [f"c{i:05d}" for i in ids]
    frame = pl.DataFrame({"customer_id": names, "tier": "mass", "abc_class": "C", "categories": ""})
    return frame.with_columns(instant(NOW).alias("valued_at"))


async def indexes(session: AsyncSession, table: str) -> dict[str, tuple[int, str]]:
    rows = await session.execute(INDEXES, {"t": table})
    return {name: (oid, definition) for name, oid, definition in rows}


async def load(sessions: Any, table: Any, frame: pl.DataFrame, *, present: int) -> None:
    async with sessions() as session, session.begin():
        await load_frame(session, table, frame, present=present)


@pytest.fixture
def rebuild_any_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("services.segmentation.adapters.bulk._REBUILD_FROM", 0)


@pytest.mark.usefixtures("rebuild_any_size")
async def test_a_load_bigger_than_the_table_rebuilds_its_indexes_as_they_were(
    sessions: Any,
) -> None:
    async with sessions() as session:
        before = {t: await indexes(session, t) for t in ("customer_value", "segment_member")}
    assert len(before["segment_member"]) == 2  # the key and the customer index
    members = pl.DataFrame({"segment_id": "s1", "customer_id": ["c1", "c2"]})
    await load(sessions, customer_value, values(range(10)), present=3)
    await load(
        sessions, segment_member, members.with_columns(instant(NOW).alias("entered_at")), present=0
    )

    async with sessions() as session:
        for table, was in before.items():
            now = await indexes(session, table)
            assert {n: d for n, (_, d) in now.items()} == {n: d for n, (_, d) in was.items()}
            assert all(now[n][0] != was[n][0] for n in was)  # built anew
        count = await session.scalar(text("SELECT count(*) FROM customer_value"))
    assert count == 10
    with pytest.raises(UniqueViolationError):  # the primary key holds again
        await load(sessions, customer_value, values(range(9, 10)), present=10)


@pytest.mark.usefixtures("rebuild_any_size")
async def test_a_load_smaller_than_the_table_keeps_its_indexes(sessions: Any) -> None:
    await load(sessions, customer_value, values(range(10)), present=0)
    async with sessions() as session:
        before = await indexes(session, "customer_value")
    await load(sessions, customer_value, values(range(10, 15)), present=10)
    async with sessions() as session:
        assert await indexes(session, "customer_value") == before


@pytest.mark.usefixtures("rebuild_any_size")
async def test_a_table_that_foreign_keys_reference_keeps_its_indexes(sessions: Any) -> None:
    async with sessions() as session, session.begin():
        await session.execute(
            text("CREATE TABLE note (customer_id varchar(64) REFERENCES customer_value)")
        )
    async with sessions() as session:
        before = await indexes(session, "customer_value")
    await load(sessions, customer_value, values(range(10)), present=0)
    async with sessions() as session:
        assert await indexes(session, "customer_value") == before
        assert await session.scalar(text("SELECT count(*) FROM customer_value")) == 10


@pytest.mark.usefixtures("rebuild_any_size")
async def test_a_table_someone_reads_keeps_its_indexes_and_the_load_does_not_wait(
    sessions: Any,
) -> None:
    # The reader could be waiting, in turn, for the recompute's other connection.
    async with sessions() as reader, reader.begin():
        await reader.execute(text("SELECT count(*) FROM customer_value"))
        before = await indexes(reader, "customer_value")
        await asyncio.wait_for(
            load(sessions, customer_value, values(range(10)), present=0), timeout=10
        )
    async with sessions() as session:
        assert await indexes(session, "customer_value") == before
        assert await session.scalar(text("SELECT count(*) FROM customer_value")) == 10
