"""Repositories of the published classification, segments, CLV models and population figures."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.segmentation.adapters.orm import (
    clv_model,
    customer_value,
    population_figures,
    segment,
    segment_member,
)
from services.segmentation.adapters.sql import chunks, pairs_in, upsert
from services.segmentation.domain.clv import BgNbdParams, GammaGammaParams
from services.segmentation.domain.valuation import ClvModel
from shared.db.arrays import any_of

VALUE_COLUMNS = (
    "tier",
    "abc_class",
    "categories",
    "baseline_tier",
    "baseline_abc_class",
    "baseline_period",
)


class FiguresRepository:
    """Named JSON documents of population figures (``valuation``, ``pareto``)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._cache: dict[str, dict[str, Any] | None] = {}

    async def get(self, name: str) -> dict[str, Any] | None:
        """The document stored under ``name`` (read once per unit of work)."""
        if name not in self._cache:
            query = select(population_figures.c.figures).where(population_figures.c.name == name)
            raw = await self.session.scalar(query)
            self._cache[name] = None if raw is None else json.loads(raw)
        return self._cache[name]

    async def rolled_on(self) -> int | None:
        """The day every customer's window sums were last rolled to by a recompute."""
        doc = await self.get("roll") or await self.get("valuation") or {}  # earlier: valuation
        day = doc.get("rolled_on")
        return None if day is None else int(day)

    async def save_rolled_on(self, day: int, *, now: dt.datetime) -> None:
        """Record that every customer's window sums are valid on ``day`` (or later)."""
        await self.save("roll", {"rolled_on": day}, now=now)

    async def save(self, name: str, document: dict[str, Any], *, now: dt.datetime) -> None:
        """Store ``document`` under ``name``."""
        row = {"name": name, "figures": json.dumps(document), "computed_at": now}
        await upsert(self.session, population_figures, [row], keys=["name"])
        self._cache[name] = document


@dataclass(frozen=True, slots=True)
class StoredModel:
    """A CLV model version and how it was fitted."""

    model: ClvModel
    fitted_at: dt.datetime
    calibration_end: dt.date | None
    customers: int


class ClvModelRepository:
    """Fitted CLV model versions; the latest is the current one."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def current(self) -> StoredModel | None:
        """The latest fitted model, if any."""
        query = select(clv_model).order_by(clv_model.c.fitted_at.desc()).limit(1)
        row = (await self.session.execute(query)).first()
        if row is None:
            return None
        model = ClvModel(
            version=row.version,
            bgnbd=BgNbdParams.from_dict(json.loads(row.bgnbd)),
            spend=GammaGammaParams.from_dict(json.loads(row.gamma_gamma)),
        )
        return StoredModel(model, row.fitted_at, row.calibration_end, row.customers)

    async def add(self, stored: StoredModel, *, fitted_by: str) -> None:
        """Store a new model version (it becomes the current one)."""
        model = stored.model
        await upsert(
            self.session,
            clv_model,
            [
                {
                    "version": model.version,
                    "fitted_at": stored.fitted_at,
                    "fitted_by": fitted_by,
                    "calibration_end": stored.calibration_end,
                    "time_unit": model.bgnbd.time_unit,
                    "customers": stored.customers,
                    "bgnbd": json.dumps(model.bgnbd.to_dict()),
                    "gamma_gamma": json.dumps(model.spend.to_dict()),
                }
            ],
            keys=["version"],
        )


class ValueRepository:
    """The classification published last per customer, and segment memberships."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def stored(self, ids: Collection[str]) -> dict[str, dict[str, Any]]:
        """Published tier, ABC class, categories and baselines of the given customers."""
        found: dict[str, dict[str, Any]] = {}
        columns = [customer_value.c[name] for name in VALUE_COLUMNS]
        for part in chunks(sorted(ids)):
            query = select(customer_value.c.customer_id, *columns).where(
                any_of(self.session, customer_value.c.customer_id, part)
            )
            for customer_id, *values in await self.session.execute(query):
                found[customer_id] = dict(zip(VALUE_COLUMNS, values, strict=True))
        return found

    async def save(self, rows: Sequence[dict[str, Any]]) -> None:
        """Insert or overwrite published values."""
        await upsert(self.session, customer_value, rows, keys=["customer_id"])

    async def delete(self, ids: Collection[str]) -> None:
        """Forget the published values of the given customers."""
        for part in chunks(sorted(ids)):
            await self.session.execute(
                delete(customer_value).where(
                    any_of(self.session, customer_value.c.customer_id, part)
                )
            )

    async def memberships(self, ids: Collection[str]) -> set[tuple[str, str]]:
        """(segment id, customer id) pairs of the given customers."""
        found: set[tuple[str, str]] = set()
        t = segment_member
        for part in chunks(sorted(ids)):
            query = select(t.c.segment_id, t.c.customer_id).where(
                any_of(self.session, t.c.customer_id, part)
            )
            found.update(
                (row.segment_id, row.customer_id) for row in await self.session.execute(query)
            )
        return found

    async def enter(self, pairs: Collection[tuple[str, str]], *, at: dt.datetime) -> None:
        """Record new memberships."""
        rows = [{"segment_id": s, "customer_id": c, "entered_at": at} for s, c in sorted(pairs)]
        await upsert(self.session, segment_member, rows, keys=["segment_id", "customer_id"])

    async def leave(self, pairs: Collection[tuple[str, str]]) -> None:
        """Remove memberships."""
        t = segment_member
        for part in chunks(sorted(pairs)):
            await self.session.execute(
                delete(t).where(pairs_in(self.session, (t.c.segment_id, t.c.customer_id), part))
            )


@dataclass(frozen=True, slots=True)
class SegmentRow:
    """A stored segment definition."""

    id: str
    name: str
    description: str
    condition: dict[str, Any]
    created_at: dt.datetime
    created_by: str
    evaluated_at: dt.datetime | None


def _segment(row: Any) -> SegmentRow:
    return SegmentRow(
        id=row.id,
        name=row.name,
        description=row.description,
        condition=json.loads(row.condition),
        created_at=row.created_at,
        created_by=row.created_by,
        evaluated_at=row.evaluated_at,
    )


class SegmentRepository:
    """Rule segment definitions and their member lists."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: SegmentRow) -> None:
        """Store a new segment."""
        values = asdict(row)
        values["condition"] = json.dumps(row.condition)
        await self.session.execute(segment.insert().values(**values))

    async def get(self, segment_id: str) -> SegmentRow | None:
        """The segment with ``segment_id``, if any."""
        row = (
            await self.session.execute(select(segment).where(segment.c.id == segment_id))
        ).first()
        return None if row is None else _segment(row)

    async def by_name(self, name: str) -> SegmentRow | None:
        """The segment called ``name``, if any."""
        row = (await self.session.execute(select(segment).where(segment.c.name == name))).first()
        return None if row is None else _segment(row)

    async def all(self) -> list[SegmentRow]:
        """Every segment, oldest first."""
        rows = await self.session.execute(select(segment).order_by(segment.c.created_at))
        return [_segment(row) for row in rows]

    async def count_members(self, segment_id: str) -> int:
        """How many customers are in the segment."""
        query = select(func.count()).where(segment_member.c.segment_id == segment_id)
        return int(await self.session.scalar(query) or 0)

    async def members(self, segment_id: str, *, after: str | None, limit: int) -> list[str]:
        """Up to ``limit`` member ids in id order, after the id ``after``."""
        t = segment_member
        query = select(t.c.customer_id).where(t.c.segment_id == segment_id)
        if after is not None:
            query = query.where(t.c.customer_id > after)
        query = query.order_by(t.c.customer_id).limit(limit)
        return list((await self.session.execute(query)).scalars())

    async def replace(self, row: SegmentRow) -> None:
        """Overwrite a segment's name, description, condition and evaluation time."""
        await self.session.execute(
            segment.update()
            .where(segment.c.id == row.id)
            .values(
                name=row.name,
                description=row.description,
                condition=json.dumps(row.condition),
                evaluated_at=row.evaluated_at,
            )
        )

    async def remove(self, segment_id: str) -> None:
        """Delete a segment and its member list."""
        await self.session.execute(
            delete(segment_member).where(segment_member.c.segment_id == segment_id)
        )
        await self.session.execute(delete(segment).where(segment.c.id == segment_id))

    async def member_pairs(self, segment_ids: Collection[str]) -> list[tuple[str, str]]:
        """Every (segment id, customer id) pair of the given segments."""
        t = segment_member
        query = select(t.c.segment_id, t.c.customer_id).where(
            any_of(self.session, t.c.segment_id, sorted(segment_ids))
        )
        return [(row.segment_id, row.customer_id) for row in await self.session.execute(query)]

    async def mark_evaluated(self, ids: Collection[str], *, at: dt.datetime) -> None:
        """Note when the segments' memberships were last computed in full."""
        if ids:
            await self.session.execute(
                segment.update().where(segment.c.id.in_(list(ids))).values(evaluated_at=at)
            )
