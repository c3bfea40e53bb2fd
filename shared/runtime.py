"""What a running service process holds: settings, engine, sessions, tables, metrics."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.db.engine import create_engine, session_factory
from shared.db.messaging import MessagingTables
from shared.db.uow import UnitOfWork
from shared.metrics import Metrics
from shared.settings import ServiceSettings


@dataclass
class Runtime:
    """The resources one process of a service opens at start and closes at stop."""

    settings: ServiceSettings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    tables: MessagingTables
    metrics: Metrics

    @classmethod
    def open(cls, settings: ServiceSettings, *, tables: MessagingTables) -> Runtime:
        """Create the engine and metrics; nothing connects until first use."""
        engine = create_engine(
            settings.database_url,
            pool_size=settings.database_pool_size,
            echo=settings.database_echo,
            pre_ping=settings.database_pre_ping,
            recycle_s=settings.database_recycle_s,
        )
        return cls(settings, engine, session_factory(engine), tables, Metrics(settings.service))

    @property
    def source(self) -> str:
        """The CloudEvents ``source`` of this service's events."""
        return f"/services/{self.settings.service}"

    async def database_ready(self) -> None:
        """Raise unless the database answers a trivial query."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def broker_ready(self, timeout_s: float = 1.0) -> None:
        """Raise unless one of the bootstrap servers accepts a TCP connection."""
        errors = []
        for server in self.settings.kafka.bootstrap_servers.split(","):
            host, _, port = server.strip().rpartition(":")
            try:
                _, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, int(port)), timeout_s
                )
                writer.close()
                await writer.wait_closed()
                return
            except (OSError, TimeoutError) as exc:
                errors.append(f"{server}: {exc!r}")
        raise ConnectionError("; ".join(errors))

    async def close(self) -> None:
        """Release the connection pool."""
        await self.engine.dispose()


@dataclass
class Container:
    """A service process's runtime and how to open a unit of work on it.

    Services whose unit of work carries repositories subclass this and override `uow`.
    """

    runtime: Runtime

    def uow(self) -> UnitOfWork:
        """A fresh unit of work on this process's database."""
        return UnitOfWork(self.runtime.sessions, self.runtime.tables, source=self.runtime.source)
