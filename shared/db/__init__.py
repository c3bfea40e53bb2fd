"""Database helpers: engines, naming conventions, messaging tables, unit of work, migrations."""

from __future__ import annotations

from shared.db.engine import create_engine, is_sqlite, make_metadata, session_factory
from shared.db.messaging import MessagingTables
from shared.db.uow import UnitOfWork

__all__ = [
    "MessagingTables",
    "UnitOfWork",
    "create_engine",
    "is_sqlite",
    "make_metadata",
    "session_factory",
]
