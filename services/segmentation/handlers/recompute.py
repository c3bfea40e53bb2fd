"""The full recompute: every customer valued in one vectorized batch, changes published.

Holds the valuation lock exclusively, so folding waits and nothing is valued twice at once.
Steps: read the population with every customer's windows rolled to today, refresh the
population figures (RFM breakpoints, ABC and category cutoffs) and value everyone against them,
publish changed classifications and segment memberships, store the figures and the Pareto
report. The rolled sums are written back after the commit, beside folding (`store_roll`).
Only what changed is written: a value written in a new month takes that month's baseline
(`publication.current_baselines`), so a month's first recompute rewrites nothing more.

On a 2-core host PostgreSQL's work and ours take turns unless they overlap, so CPU-only steps
(valuing, comparing memberships, building events) run in threads while the transaction's
connection writes; everything is still written by that one connection, so it all commits or
none of it does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import polars as pl
from sqlalchemy.ext.asyncio import AsyncSession

from services.segmentation.adapters.bulk import (
    insert_frame,
    upsert_frame,
)
from services.segmentation.adapters.frames import read_population
from services.segmentation.adapters.orm import customer_value
from services.segmentation.adapters.population import (
    rolled_sums,
    rolls_later,
    with_rolled,
    write_rolled,
)
from services.segmentation.adapters.sql import hold_valuation_lock
from services.segmentation.adapters.uow import SegmentationUoW
from services.segmentation.domain import publication
from services.segmentation.domain.activity import day_date, epoch_day, window_column
from services.segmentation.domain.valuation import Valuation, valuate
from services.segmentation.handlers.publishing import (
    value_change_rows,
    write_events,
)
from services.segmentation.handlers.recompute_members import members_session, publish_memberships
from services.segmentation.handlers.reports import pareto_document
from services.segmentation.handlers.valuation import Context, load_context

T = TypeVar("T")


@dataclass
class RecomputeReport:
    """What a recompute did, and how long each step took (seconds)."""

    as_of: Any
    customers: int = 0
    rolled_profiles: int = 0
    value_changes: int = 0
    segment_entries: int = 0
    segment_exits: int = 0
    steps: dict[str, float] = field(default_factory=dict)
    roll: pl.DataFrame = field(default_factory=pl.DataFrame)  # rolled sums left to `store_roll`
    published_s: float = 0.0  # from the start to the commit: what folding waited for
    total_s: float = 0.0  # and to the last rolled sum written

    async def timed(self, name: str, step: Awaitable[T]) -> T:
        """Await ``step``, recording its duration under ``name``."""
        start = time.perf_counter()
        result = await step
        self.steps[name] = time.perf_counter() - start
        return result

    def timed_sync(self, name: str, step: Callable[[], T]) -> T:
        """Run ``step``, recording its duration under ``name``."""
        start = time.perf_counter()
        result = step()
        self.steps[name] = time.perf_counter() - start
        return result


async def recompute_and_store(uow: SegmentationUoW) -> RecomputeReport:
    """`recompute` in a transaction, committed; then `store_roll`."""
    started = time.perf_counter()
    async with uow:
        report = await recompute(uow=uow)
        await report.timed("commit", uow.commit())
    report.published_s = time.perf_counter() - started
    await report.timed("store_roll", store_roll(uow=uow, report=report))
    report.total_s = time.perf_counter() - started
    return report


async def recompute(*, uow: SegmentationUoW) -> RecomputeReport:
    """Value every customer now and publish what changed (the caller commits)."""
    report = RecomputeReport(as_of=day_date(uow.today()))
    await report.timed("lock", hold_valuation_lock(uow.session, exclusive=True))
    context = await load_context(uow)
    rolled, inputs = await _current_population(uow, report, rolled_on=await uow.figures.rolled_on())
    inputs = publication.current_baselines(inputs, publication.period_of(uow.now()))
    if rolls_later(uow.session) and not rolled.is_empty():
        report.roll, rolled = rolled, rolled.clear()
    else:
        await uow.figures.save_rolled_on(uow.today(), now=uow.now())
    valuation = await _valuate_while_rolling(uow, report, context, inputs, rolled)
    valued = valuation.frame
    report.customers = valued.height
    rows = publication.classification(valued, inputs)
    await _publish(uow, context, valued, rows, report=report)
    await _save_figures(uow, valuation, report=report)
    return report


async def _current_population(
    uow: SegmentationUoW, report: RecomputeReport, *, rolled_on: int | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The window sums that rolled (to write back) and everyone's inputs valid today.

    The reads run concurrently on their own connections (safe under the exclusive lock).
    """
    async with (
        uow.side_session() as texts,
        uow.side_session() as values,
        uow.side_session() as numbers,
        uow.side_session() as days,
    ):
        rolled, inputs = await report.timed(
            "read",
            asyncio.gather(
                rolled_sums(days, today=uow.today(), rolled_on=rolled_on),
                read_population(uow.session, sides=(texts, values, numbers)),
            ),
        )
    report.rolled_profiles = rolled.height
    return rolled, with_rolled(inputs, rolled)


async def _valuate_while_rolling(
    uow: SegmentationUoW,
    report: RecomputeReport,
    context: Context,
    inputs: pl.DataFrame,
    rolled: pl.DataFrame,
) -> Valuation:
    """Value everyone (CPU, in a thread) while the connection writes the rolled sums back."""
    async with asyncio.TaskGroup() as group:
        valuation = group.create_task(
            report.timed(
                "valuate",
                asyncio.to_thread(
                    valuate, inputs, uow.params, today=uow.today(), model=context.model
                ),
            )
        )
        await report.timed("write_rolled", write_rolled(uow.session, rolled))
    return valuation.result()


async def store_roll(*, uow: SegmentationUoW, report: RecomputeReport) -> None:
    """Write back the sums the recompute rolled (PostgreSQL), in transactions of their own.

    They hold the valuation lock shared, as folding does, so folding goes on; the rows are
    written in chunks so that a fold waits for at most one. A profile folded since the
    recompute read it was rolled by that fold and is left alone. Only when every chunk is in
    do the profiles count as rolled to that day.
    """
    rows = report.roll
    for start in range(0, rows.height, _ROLL_CHUNK):
        async with uow:
            await hold_valuation_lock(uow.session, exclusive=False)
            await write_rolled(uow.session, rows.slice(start, _ROLL_CHUNK))
            if start + _ROLL_CHUNK >= rows.height:
                await uow.figures.save_rolled_on(epoch_day(report.as_of), now=uow.now())
            await uow.commit()


_ROLL_CHUNK = 10_000


async def _save_figures(
    uow: SegmentationUoW, valuation: Valuation, *, report: RecomputeReport
) -> None:
    """Store the population figures (for folding until the next recompute) and the Pareto."""
    now, valued = uow.now(), valuation.frame
    figures = {
        "figures": valuation.figures.to_dict(),
        "customers": valued.height,
    }
    await uow.figures.save("valuation", figures, now=now)
    basis = valued[window_column("contribution", uow.params.abc_window)]
    pareto = report.timed_sync("pareto", lambda: pareto_document(basis, valued["abc_class"]))
    await uow.figures.save("pareto", {**pareto, "as_of": str(report.as_of)}, now=now)


async def _publish(
    uow: SegmentationUoW,
    context: Context,
    valued: pl.DataFrame,
    rows: pl.DataFrame,
    *,
    report: RecomputeReport,
) -> None:
    """Store changed classifications and memberships and publish the changes.

    While this connection writes the classifications, the value events are built in a thread
    and the memberships written on a side connection (`recompute_members`), committed last.
    """
    changes = publication.changed(rows)
    stored = _stored_values(uow, changes)
    async with members_session(uow) as side:
        async with asyncio.TaskGroup() as group:
            value_events = group.create_task(asyncio.to_thread(value_change_rows, uow, changes))
            beside = side and group.create_task(_memberships(uow, side, context, valued, report))
            await report.timed("write_values", _store_values(uow, stored))
        # SQLite (no side connection): the memberships only now, on this connection
        moved = await (beside or _memberships(uow, side, context, valued, report))
        await report.timed("events", write_events(uow, value_events.result()))
        if side is not None:
            await side.commit()
    report.value_changes = changes.height
    if moved is not None:
        report.segment_entries, report.segment_exits = moved.entered.height, moved.exited.height


async def _memberships(
    uow: SegmentationUoW,
    side: AsyncSession | None,
    context: Context,
    valued: pl.DataFrame,
    report: RecomputeReport,
) -> publication.MembershipChanges | None:
    session = uow.session if side is None else side
    return await report.timed("segments", publish_memberships(uow, session, context, valued))


def _stored_values(uow: SegmentationUoW, rows: pl.DataFrame) -> pl.DataFrame:
    """``customer_value`` rows of classification rows, with whether each is a first one."""
    return rows.select(
        "customer_id",
        *publication.STORED,
        pl.lit(uow.now()).alias("valued_at"),
        pl.col("old_tier").is_null().alias("first"),
    )


async def _store_values(uow: SegmentationUoW, stored: pl.DataFrame) -> None:
    """Customers classified for the first time are appended with COPY; the others updated."""
    first = pl.col("first")
    await insert_frame(uow.session, customer_value, stored.filter(first).drop("first"))
    await upsert_frame(
        uow.session, customer_value, stored.filter(~first).drop("first"), keys=["customer_id"]
    )
