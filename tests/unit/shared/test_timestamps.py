"""Every stored timestamp reads back aware, in UTC, on SQLite as on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import importlib

import polars as pl
import pytest
from sqlalchemy import DateTime, create_engine, select
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect

from shared.db import MessagingTables, make_metadata
from shared.db.timestamps import UtcDateTime, instant

SERVICES = ("identity", "segmentation", "lifecycle", "interaction")


@pytest.mark.parametrize("service", SERVICES)
def test_every_timestamp_column_is_utc_datetime(service: str) -> None:
    metadata = importlib.import_module(f"services.{service}.adapters.orm").metadata
    plain = [
        f"{table.name}.{column.name}"
        for table in metadata.tables.values()
        for column in table.columns
        if isinstance(column.type, DateTime)
    ]
    assert plain == []  # a bare DateTime reads back naive on SQLite


def test_sqlite_reads_back_the_same_instant_aware() -> None:
    metadata = make_metadata()
    inbox = MessagingTables(metadata).inbox
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    beijing = dt.datetime(2026, 11, 23, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with engine.begin() as connection:
        row = {"event_id": "e1", "event_type": "a.b.c.v1", "topic": "t", "received_at": beijing}
        connection.execute(inbox.insert(), row)
        stored = connection.execute(select(inbox.c.received_at)).scalar_one()
    assert stored.tzinfo is not None
    assert stored == beijing
    assert stored.utcoffset() == dt.timedelta(0)
    assert isinstance(inbox.c.received_at.type, UtcDateTime)


def test_postgresql_binds_and_reads_times_unprocessed() -> None:
    # asyncpg keeps the offset itself; a processor would run per element of every time array
    dialect = asyncpg_dialect()
    assert UtcDateTime().bind_processor(dialect) is None
    assert UtcDateTime().result_processor(dialect, None) is None


def test_instant_is_the_same_time_to_the_microsecond() -> None:
    beijing = dt.timezone(dt.timedelta(hours=8))
    for moment in (
        dt.datetime(2026, 11, 23, 9, 30, 15, 123_457, tzinfo=beijing),
        dt.datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=dt.UTC),
    ):
        value = pl.select(instant(moment)).item()
        assert value == moment
        assert value.utcoffset() == dt.timedelta(0)
