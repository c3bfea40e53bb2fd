"""Alembic environment of the identity service."""

from services.identity.adapters.orm import metadata
from shared.db.migrations import run_env

run_env(metadata)
