"""Settings of the lifecycle service (``IDIC_*`` environment variables)."""

from __future__ import annotations

from functools import lru_cache

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """The lifecycle service's settings."""

    service: str = "lifecycle"
    database_url: str = "sqlite+aiosqlite:///.data/lifecycle.db"


@lru_cache
def get_settings() -> Settings:
    """The settings read from the environment, once per process."""
    return Settings()
