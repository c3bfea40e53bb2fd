"""Composition root of the lifecycle service, shared by the API and the worker."""

from __future__ import annotations

from pathlib import Path

from services.lifecycle.adapters.orm import messaging
from services.lifecycle.settings import Settings
from shared.runtime import Container, Runtime

MIGRATIONS = Path(__file__).parent / "migrations"


def bootstrap(settings: Settings) -> Container:
    """Open the runtime for ``settings``."""
    return Container(Runtime.open(settings, tables=messaging))
