"""The recompute's whole-population read: ids compare byte by byte, and the read split over
several connections returns exactly what one connection reads."""

from __future__ import annotations

import pytest
from polars.testing import assert_frame_equal
from sqlalchemy import text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from bench.bench_recompute_domain import SEGMENTS
from bench.segmentation_population import TODAY, Clock, copy_frame, load, profiles
from services.segmentation.adapters import frames
from services.segmentation.adapters.orm import customer_profile, metadata
from services.segmentation.bootstrap import bootstrap
from services.segmentation.domain.activity import epoch_day
from services.segmentation.domain.needs import needed_window_sums
from services.segmentation.domain.rules import evaluate_segments_frame, parse_condition
from services.segmentation.domain.valuation import ValuationParams, valuate
from services.segmentation.handlers.valuation import load_context
from tests.support import migrate, settings_for

pytestmark = pytest.mark.xdist_group("segmentation")

EXACT = ["tier", "abc_class", "categories", "rfm_code", "pb_borderline", "contribution_365d"]


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


async def test_reading_only_the_sums_in_use_values_and_segments_everyone_alike(
    fresh_database: str,
) -> None:
    await migrate("segmentation", fresh_database)
    container = bootstrap(
        settings_for("segmentation", database_url=fresh_database), clock=Clock(TODAY)
    )
    rules = {
        **{name: parse_condition(rule, known_segments=SEGMENTS) for name, rule in SEGMENTS.items()},
        "thin_month": parse_condition(
            {"field": "contribution", "window": "30d", "op": "lt", "value": 0}
        ),
    }
    try:
        await load(container, 5_000)  # profiles, a CLV model, the benchmark's segments
        sums = needed_window_sums(rules.values(), abc_window="365d", rfm_window="365d")
        async with container.uow() as uow:
            full = await frames.read_population(uow.session)
            some = await frames.read_population(uow.session, sums=sums)
            model = (await load_context(uow)).model
    finally:
        await container.runtime.close()

    assert 10 <= len(sums) < 24 and some.width < full.width
    answers = []
    for inputs in (full, some):
        valued = valuate(inputs, ValuationParams(), today=epoch_day(TODAY), model=model).frame
        members = evaluate_segments_frame(rules, valued)
        answers.append(valued.select(*EXACT, "clv").hstack(members))
    assert_frame_equal(answers[0], answers[1])
    assert answers[0]["segment:thin_month"].any() and answers[0]["clv"].is_not_null().any()
