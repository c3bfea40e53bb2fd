"""Composition root of the identity service, shared by the API and the worker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from services.identity.adapters.models import ModelCache
from services.identity.adapters.orm import messaging
from services.identity.adapters.uow import IdentityUnitOfWork
from services.identity.adapters.vault import Vault
from services.identity.domain import SurvivorshipPolicy
from services.identity.handlers.common import IdentityConfig
from services.identity.settings import Settings
from shared.runtime import Runtime

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class Container:
    """The process's runtime, vault, model cache and configuration."""

    runtime: Runtime
    vault: Vault
    models: ModelCache
    config: IdentityConfig

    def uow(self) -> IdentityUnitOfWork:
        """A fresh unit of work."""
        return IdentityUnitOfWork(
            self.runtime.sessions,
            messaging,
            source=self.runtime.source,
            vault=self.vault,
            model_cache=self.models,
        )


def config_from(settings: Settings) -> IdentityConfig:
    """The use cases' configuration from the settings."""
    matching = settings.matching
    return IdentityConfig(
        policy=SurvivorshipPolicy(source_trust=dict(matching.source_trust)),
        max_postings=matching.max_postings,
        max_candidates=matching.max_candidates,
        max_batch=matching.max_batch,
        tf_min_count=matching.tf_min_count,
        fit_sample_records=matching.fit_sample_records,
        fit_random_pairs=matching.fit_random_pairs,
    )


def without_jit(engine: AsyncEngine) -> None:
    """Turn PostgreSQL's JIT off on every connection of ``engine``.

    The candidate query over a batch's ~60,000 key hashes is estimated far above
    ``jit_above_cost``, so the server spent ~0.4 s compiling it to run ~0.15 s of index
    probes; no identity query runs long enough to win the compilation back.
    """
    if engine.dialect.name != "postgresql":
        return

    @event.listens_for(engine.sync_engine, "connect")
    def _no_jit(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET jit = off")
        cursor.close()


def bootstrap(settings: Settings) -> Container:
    """Open the runtime for ``settings``."""
    matching = settings.matching
    runtime = Runtime.open(settings, tables=messaging)
    without_jit(runtime.engine)
    return Container(
        runtime=runtime,
        vault=Vault(settings.vault),
        models=ModelCache(link=matching.link_threshold, review=matching.review_threshold),
        config=config_from(settings),
    )
