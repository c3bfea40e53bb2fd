"""Stored match models, versioned, and a per-process cache of the current one."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.identity.adapters.orm import match_model
from services.identity.domain import MatchModel, default_model


class ModelCache:
    """The current model of this process; reloaded when a newer version is stored.

    Version 0 is the cold-start ``default_model()``. Thresholds set in the settings override
    the stored ones (an operator's lever that needs no refit). The newest version is looked up
    at most every ``ttl_s`` seconds, so a refit reaches every process within that time.
    """

    def __init__(
        self, *, link: float | None = None, review: float | None = None, ttl_s: float = 1.0
    ) -> None:
        self._link, self._review = link, review
        self.ttl_s = ttl_s
        self.checked_at = -float("inf")
        self.version = -1
        self.model = default_model()

    def adopt(self, version: int, model: MatchModel) -> MatchModel:
        """Make ``model`` current (thresholds overridden as configured)."""
        link = model.link_threshold if self._link is None else self._link
        review = model.review_threshold if self._review is None else self._review
        self.version, self.model = version, model.with_thresholds(link=link, review=review)
        return self.model


class ModelRepository:
    """Reads and writes ``match_model``."""

    def __init__(self, session: AsyncSession, cache: ModelCache) -> None:
        self.session = session
        self.cache = cache

    async def current(self) -> tuple[int, MatchModel]:
        """The newest stored model (or the default), from the cache when it is still newest."""
        if time.monotonic() - self.cache.checked_at < self.cache.ttl_s:
            return self.cache.version, self.cache.model
        latest = await self.session.scalar(
            select(match_model.c.version).order_by(match_model.c.version.desc()).limit(1)
        )
        self.cache.checked_at = time.monotonic()
        version = int(latest or 0)
        if version != self.cache.version:
            model = default_model() if version == 0 else await self._load(version)
            self.cache.adopt(version, model)
        return self.cache.version, self.cache.model

    async def _load(self, version: int) -> MatchModel:
        raw = await self.session.scalar(
            select(match_model.c.model).where(match_model.c.version == version)
        )
        return MatchModel.from_dict(json.loads(str(raw)))

    async def summary(self, version: int) -> Mapping[str, Any] | None:
        """What was recorded when a version was fitted."""
        row = (
            await self.session.execute(select(match_model).where(match_model.c.version == version))
        ).first()
        if row is None:
            return None
        return {**row.summary, "created_by": row.created_by, "created_at": row.created_at}

    async def save(
        self, model: MatchModel, *, summary: Mapping[str, Any], by: str, at: dt.datetime
    ) -> int:
        """Store a new version; it becomes current for every process on its next request."""
        statement = insert(match_model).returning(match_model.c.version)
        version = await self.session.scalar(
            statement,
            {
                "model": json.dumps(model.to_dict()),
                "summary": dict(summary),
                "created_by": by,
                "created_at": at,
            },
        )
        self.cache.checked_at = -float("inf")  # look again at the next request
        return int(version or 0)
