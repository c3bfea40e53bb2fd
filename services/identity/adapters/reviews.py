"""The clerical-review queue: record pairs the model could neither link nor separate."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.adapters.orm import review
from services.identity.adapters.records import chunks


class ReviewRepository:
    """Reads and writes ``review``."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Open reviews; their ids, in the order given."""
        if not rows:
            return []
        statement = insert(review).returning(review.c.id, sort_by_parameter_order=True)
        return [int(i) for i in (await self.session.execute(statement, list(rows))).scalars()]

    async def pending(self, *, after: int | None, limit: int) -> list[Any]:
        """Pending reviews, oldest first, with ids above ``after``."""
        query = select(review).where(review.c.status == "pending")
        if after is not None:
            query = query.where(review.c.id > after)
        return list(await self.session.execute(query.order_by(review.c.id).limit(limit)))

    async def get(self, review_id: int, *, for_update: bool = False) -> Any:
        """One review, or None."""
        query = select(review).where(review.c.id == review_id)
        if for_update:
            query = query.with_for_update()
        return (await self.session.execute(query)).first()

    async def decide(self, review_id: int, *, status: str, by: str, at: dt.datetime) -> None:
        """Close a review with the clerk's decision."""
        await self.session.execute(
            update(review)
            .where(review.c.id == review_id)
            .values(status=status, decided_by=by, decided_at=at)
        )

    async def obsolete_between(self, a: str, b: str, *, by: str, at: dt.datetime) -> None:
        """Close pending reviews that pair ``a`` with ``b`` (a merge or unmerge decided them)."""
        pair = or_(
            (review.c.customer_id == a) & (review.c.candidate_id == b),
            (review.c.customer_id == b) & (review.c.candidate_id == a),
        )
        await self.session.execute(
            update(review)
            .where(review.c.status == "pending", pair)
            .values(status="obsolete", decided_by=by, decided_at=at)
        )

    async def delete_involving(self, ids: Sequence[str]) -> None:
        """Delete every review of these customers (erasure)."""
        for part in chunks(list(ids)):
            await self.session.execute(
                delete(review).where(
                    or_(review.c.customer_id.in_(part), review.c.candidate_id.in_(part))
                )
            )
