"""Alembic environment of the lifecycle service."""

from services.lifecycle.adapters.orm import metadata
from shared.db.migrations import run_env

run_env(metadata)
