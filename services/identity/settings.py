"""Settings of the identity service (``IDIC_*`` environment variables)."""

from __future__ import annotations

from functools import lru_cache

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    """The identity service's settings."""

    service: str = "identity"
    database_url: str = "sqlite+aiosqlite:///.data/identity.db"


@lru_cache
def get_settings() -> Settings:
    """The settings read from the environment, once per process."""
    return Settings()
