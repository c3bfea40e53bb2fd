"""Migration 0006 marks the values stored before it with the month the figures' baselines
belong to, on PostgreSQL and on SQLite."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import text

from idic.catalog import SERVICES
from shared.db.engine import create_engine
from shared.db.migrations import upgrade

pytestmark = pytest.mark.xdist_group("segmentation")

_VALUE = (
    "INSERT INTO customer_value (customer_id, tier, abc_class, categories, baseline_tier, "
    "baseline_abc_class, valued_at) VALUES ('c1', 'mass', 'C', '', 'affluent', 'B', "
    "'2026-06-15 02:00:00+00')"
)
_AT = dt.datetime(2026, 6, 15, 2, tzinfo=dt.UTC)
_FIGURES = "INSERT INTO population_figures (name, figures, computed_at) VALUES (:n, :f, :at)"


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
async def test_stored_values_take_the_figures_baseline_period(
    backend: str, fresh_database: str, tmp_path: Any
) -> None:
    url = fresh_database if backend == "postgresql" else f"sqlite+aiosqlite:///{tmp_path}/s.db"
    engine, migrations = create_engine(url), SERVICES["segmentation"].migrations
    try:
        await upgrade(engine, migrations, "0005")
        async with engine.begin() as connection:
            await connection.execute(text(_VALUE))
            document = json.dumps({"rolled_on": 20619, "baseline_period": "2026-06"})
            await connection.execute(text(_FIGURES), {"n": "valuation", "f": document, "at": _AT})
        await upgrade(engine, migrations)
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    text("SELECT baseline_tier, baseline_period FROM customer_value")
                )
            ).one()
        assert tuple(row) == ("affluent", "2026-06")
    finally:
        await engine.dispose()
