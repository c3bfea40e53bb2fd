"""The four services: their module names and local ports."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ServiceSpec:
    """Where a service's code lives and where it listens locally."""

    name: str
    port: int

    @property
    def worker_port(self) -> int:
        """The local port of the worker's health and metrics endpoints."""
        return self.port + 100

    def module(self, leaf: str) -> Any:
        """Import ``services.<name>.<leaf>``."""
        return importlib.import_module(f"services.{self.name}.{leaf}")

    @property
    def migrations(self) -> Path:
        """The service's Alembic tree."""
        return Path(self.module("bootstrap").MIGRATIONS)


SERVICES: dict[str, ServiceSpec] = {
    spec.name: spec
    for spec in (
        ServiceSpec("identity", 8001),
        ServiceSpec("segmentation", 8002),
        ServiceSpec("lifecycle", 8003),
        ServiceSpec("interaction", 8004),
    )
}
