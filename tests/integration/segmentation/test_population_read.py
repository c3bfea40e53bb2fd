"""The recompute's whole-population read: ids compare byte by byte, and the read split over
several connections returns exactly what one connection reads."""

from __future__ import annotations

import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from bench.bench_segmentation_recompute import TODAY, Clock, copy_frame, profiles
from services.segmentation.adapters import frames
from services.segmentation.adapters.orm import customer_profile, metadata
from services.segmentation.bootstrap import bootstrap
from services.segmentation.domain.activity import epoch_day
from tests.support import migrate, settings_for

pytestmark = pytest.mark.xdist_group("segmentation")


def _declared_c() -> set[tuple[str, str]]:
    """Columns the models declare as compared byte by byte on PostgreSQL."""
    dialect = postgresql.dialect()
    return {
        (table.name, column.name)
        for table in metadata.tables.values()
        for column in table.columns
        if getattr(column.type.dialect_impl(dialect), "collation", None) == "C"
    }


async def test_the_split_read_equals_the_single_read_and_ids_collate_as_bytes(
    fresh_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await migrate("segmentation", fresh_database)
    container = bootstrap(
        settings_for("segmentation", database_url=fresh_database), clock=Clock(TODAY)
    )
    try:
        await copy_frame(container, customer_profile.name, profiles(3_001, epoch_day(TODAY)))
        async with container.uow() as uow:
            await uow.session.execute(text("ANALYZE customer_profile"))
            collations = await _collations(uow.session)
            single = await frames.read_population(uow.session)
            monkeypatch.setattr(frames, "_SPLIT_FROM", 1)
            middle = await frames._middle_id(uow.session)
            async with uow.side_session() as a, uow.side_session() as b, uow.side_session() as c:
                split = await frames.read_population(uow.session, sides=(a, b, c))
    finally:
        await container.runtime.close()

    declared = _declared_c()
    assert {("customer_profile", "customer_id"), ("segment_member", "segment_id")} <= declared
    assert collations == dict.fromkeys(declared, "C")
    assert middle is not None and single["customer_id"][1400] < middle < single["customer_id"][1600]
    assert single.height == 3_001 and single["customer_id"].is_sorted()
    assert_frame_equal(split, single)


async def _collations(session: AsyncSession) -> dict[tuple[str, str], str]:
    rows = await session.execute(
        text(
            "SELECT table_name, column_name, collation_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND collation_name IS NOT NULL"
        )
    )
    return {(t, c): name for t, c, name in rows if name == "C"}
