"""The full recompute: every customer valued in one vectorized batch, changes published.

Steps: read the population with every customer's windows rolled to today (one snapshot, on
several connections), refresh the population figures (RFM breakpoints, ABC and category
cutoffs) and value everyone against them; folding goes on meanwhile. Then, holding the
valuation lock exclusively (folding waits), leave out the customers folded or erased since the
read (`_unfolded`), publish changed classifications and segment memberships, and store the
figures and the Pareto report. The rolled sums are written back after the commit, beside
folding (`store_roll`). Only what changed is written: a value written in a new month takes
that month's baseline (`publication.current_baselines`), so a month's first recompute
rewrites nothing more.

On a 2-core host PostgreSQL's work and ours take turns unless they overlap, so CPU-only steps
(comparing memberships, building events) run in threads while connections write: the values
on the transaction's own, the memberships on a side one (`recompute_members`).
"""

from __future__ import annotations

import asyncio
import time

import polars as pl
from sqlalchemy.ext.asyncio import AsyncSession

from services.segmentation.adapters.bulk import load_frame, upsert_frame
from services.segmentation.adapters.frames import VERSION, read_population, read_versions
from services.segmentation.adapters.orm import customer_value
from services.segmentation.adapters.population import (
    rolled_sums,
    rolls_later,
    with_rolled,
    write_rolled,
)
from services.segmentation.adapters.repositories import FiguresRepository
from services.segmentation.adapters.snapshot import Snapshot, changed_since, snapshot_sessions
from services.segmentation.adapters.sql import hold_valuation_lock
from services.segmentation.adapters.uow import SegmentationUoW
from services.segmentation.domain import publication
from services.segmentation.domain.activity import day_date, epoch_day, window_column
from services.segmentation.domain.needs import needed_window_sums
from services.segmentation.domain.valuation import Valuation, valuate
from services.segmentation.handlers.publishing import (
    value_change_rows,
    write_events,
)
from services.segmentation.handlers.recompute_members import members_session, publish_memberships
from services.segmentation.handlers.recompute_report import RecomputeReport
from services.segmentation.handlers.reports import pareto_document
from services.segmentation.handlers.valuation import Context, load_context
from shared.db.timestamps import instant


async def recompute_and_store(uow: SegmentationUoW) -> RecomputeReport:
    """`recompute` in a transaction, committed; then `store_roll`."""
    started = time.perf_counter()
    async with uow:
        report = await recompute(uow=uow)
        await report.timed("commit", uow.commit())
    report.published_s = time.perf_counter() - started
    report.exclusive_s = time.perf_counter() - report.locked_at
    await report.timed("store_roll", store_roll(uow=uow, report=report))
    report.total_s = time.perf_counter() - started
    return report


async def recompute(*, uow: SegmentationUoW) -> RecomputeReport:
    """Value every customer now and publish what changed (the caller commits)."""
    report = RecomputeReport(as_of=day_date(uow.today()))
    before = await load_context(uow)
    sums = needed_window_sums(
        before.definitions.values(),
        abc_window=uow.params.abc_window,
        rfm_window=uow.params.rfm_window,
    )
    async with snapshot_sessions(uow, 5) as snapshot:
        rolled, inputs = await _current_population(uow, report, snapshot, sums)
    inputs = publication.current_baselines(inputs, publication.period_of(uow.now()))
    valuation = await report.timed(
        "valuate",
        asyncio.to_thread(valuate, inputs, uow.params, today=uow.today(), model=before.model),
    )
    inputs, valuation = await _lock(uow, report, inputs, valuation, snapshot)
    context = _still_defined(await load_context(uow), known=before)
    if rolls_later(uow.session) and not rolled.is_empty():
        report.roll = rolled
    else:
        await report.timed("write_rolled", write_rolled(uow.session, rolled))
        await uow.figures.save_rolled_on(uow.today(), now=uow.now())
    valued = valuation.frame
    report.customers = valued.height
    rows = publication.classification(valued, inputs)
    await _publish(uow, context, valued, rows, report=report)
    await _save_figures(uow, valuation, report=report)
    return report


async def _current_population(
    uow: SegmentationUoW, report: RecomputeReport, snapshot: Snapshot | None, sums: frozenset[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The window sums that rolled (to write back) and everyone's inputs valid today.

    On PostgreSQL the reads run at once on five connections sharing one snapshot, while folding
    goes on; each profile's row version is read too (see `_unfolded`), and of its window sums
    only ``sums``.
    """
    if snapshot:
        texts, values, half, other_half, days = snapshot.sessions
        sides = (texts, values, other_half)
        population = read_population(half, sides=sides, versions=True, sums=sums)
    else:
        days, population = uow.session, read_population(uow.session)
    rolled_on = await FiguresRepository(days).rolled_on()
    rolled, inputs = await report.timed(
        "read",
        asyncio.gather(rolled_sums(days, today=uow.today(), rolled_on=rolled_on), population),
    )
    report.rolled_profiles = rolled.height
    return rolled, with_rolled(inputs, rolled)


def _still_defined(now: Context, *, known: Context) -> Context:
    """The segments defined now that were when the population was read: only their columns
    were read (a segment created meanwhile got its members when it was created)."""
    definitions = {i: d for i, d in now.definitions.items() if i in known.definitions}
    return Context(now.figures, now.model, definitions, now.names)


async def _lock(
    uow: SegmentationUoW,
    report: RecomputeReport,
    inputs: pl.DataFrame,
    valuation: Valuation,
    snapshot: Snapshot | None,
) -> tuple[pl.DataFrame, Valuation]:
    """Take the valuation lock exclusively (folding waits from here); see `_unfolded`."""
    await report.timed("lock", hold_valuation_lock(uow.session, exclusive=True))
    report.locked_at = time.perf_counter()
    return await report.timed("recheck", _unfolded(uow, report, inputs, valuation, snapshot))


async def _unfolded(
    uow: SegmentationUoW,
    report: RecomputeReport,
    inputs: pl.DataFrame,
    valuation: Valuation,
    snapshot: Snapshot | None,
) -> tuple[pl.DataFrame, Valuation]:
    """Inputs and valuation of the customers whose profile is as read (PostgreSQL).

    A customer folded since the read was valued by that fold, against the last figures, and one
    erased or merged away is gone: the recompute leaves both alone rather than write a value
    from a profile that is no longer there.
    """
    if snapshot is None:
        return inputs, valuation
    seen, written = await changed_since(uow.session, snapshot)
    keep = ~inputs["customer_id"].is_in(written.implode())
    if seen < keep.sum():  # some are gone: which, their row versions tell
        now = await read_versions(uow.session)
        same = inputs.select("customer_id", VERSION).join(now, on=["customer_id", VERSION])
        keep = inputs["customer_id"].is_in(same["customer_id"].implode())
    report.folded_meanwhile = inputs.height - int(keep.sum())
    if not report.folded_meanwhile:
        return inputs, valuation
    return inputs.filter(keep), Valuation(valuation.frame.filter(keep), valuation.figures)


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
            present = rows.height - rows["old_tier"].null_count()
            await report.timed("write_values", _store_values(uow, stored, present=present))
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
        instant(uow.now()).alias("valued_at"),
        pl.col("old_tier").is_null().alias("first"),
    )


async def _store_values(uow: SegmentationUoW, stored: pl.DataFrame, *, present: int) -> None:
    """Customers classified for the first time are appended with COPY; the others updated.

    ``present``: how many customers have a stored value."""
    first = pl.col("first")
    values = stored.filter(first).drop("first")
    await load_frame(uow.session, customer_value, values, present=present)
    await upsert_frame(
        uow.session, customer_value, stored.filter(~first).drop("first"), keys=["customer_id"]
    )
