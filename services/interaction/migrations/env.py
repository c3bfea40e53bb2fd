"""Alembic environment of the interaction service."""

from services.interaction.adapters.orm import metadata
from shared.db.migrations import run_env

run_env(metadata)
