"""The segmentation unit of work: repositories, the activity buffer, and settling at commit.

`commit` first applies the folds handlers recorded, then *settles* the customers they touched
(re-values them and publishes what changed, see ``handlers.valuation``), then writes state and
outbox rows in one transaction. The settle step is injected by the composition root, so this
adapter does not import the use cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.segmentation.adapters.activity import ActivityBuffer
from services.segmentation.adapters.repositories import (
    ClvModelRepository,
    FiguresRepository,
    SegmentRepository,
    ValueRepository,
)
from services.segmentation.domain.activity import epoch_day
from services.segmentation.domain.valuation import ValuationParams
from shared.db import MessagingTables, UnitOfWork

Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """The current time in UTC."""
    return dt.datetime.now(dt.UTC)


class SegmentationUoW(UnitOfWork):
    """One transaction of the segmentation service, with its repositories."""

    activity: ActivityBuffer
    figures: FiguresRepository
    models: ClvModelRepository
    segments: SegmentRepository
    values: ValueRepository

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        tables: MessagingTables,
        *,
        source: str,
        params: ValuationParams,
        clock: Clock = utc_now,
        settle: Callable[[SegmentationUoW], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(sessions, tables, source=source)
        self.params = params
        self.clock = clock
        self._settle = settle

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.figures = FiguresRepository(self.session)
        self.models = ClvModelRepository(self.session)
        self.segments = SegmentRepository(self.session)
        self.values = ValueRepository(self.session)
        self.activity = ActivityBuffer(
            self.session, today=self.today, now=self.now, rolled_on=self.figures.rolled_on
        )
        return self

    def side_session(self) -> AsyncSession:
        """Another connection, beside this transaction: the recompute's snapshot reads and its
        membership writes (see `adapters.snapshot` and `handlers.recompute_members`)."""
        return self._sessions()

    def now(self) -> dt.datetime:
        """The current time (from the injected clock)."""
        return self.clock()

    def today(self) -> int:
        """Today (UTC) as an epoch day."""
        return epoch_day(self.clock())

    async def commit(self) -> None:
        """Apply recorded folds, settle the customers they touched, then commit."""
        await self.activity.flush()
        if self._settle is not None and (self.activity.touched or self.activity.removed):
            await self._settle(self)
        self.activity.touched.clear()
        self.activity.removed.clear()
        await super().commit()
