"""Alembic environment of the segmentation service."""

from services.segmentation.adapters.orm import metadata
from shared.db.migrations import run_env

run_env(metadata)
