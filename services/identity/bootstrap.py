"""Composition root of the identity service, shared by the API and the worker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from services.identity.adapters.orm import messaging
from services.identity.settings import Settings
from shared.db import UnitOfWork
from shared.runtime import Runtime

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class Container:
    """The process's runtime and how to open a unit of work on it."""

    runtime: Runtime

    def uow(self) -> UnitOfWork:
        """A fresh unit of work."""
        return UnitOfWork(self.runtime.sessions, messaging, source=self.runtime.source)


def bootstrap(settings: Settings) -> Container:
    """Open the runtime for ``settings``."""
    return Container(Runtime.open(settings, tables=messaging))
