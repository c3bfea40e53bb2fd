"""Outbox, inbox and idempotency tables.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from shared.db.migrations import downgrade_messaging_v1, upgrade_messaging_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    upgrade_messaging_v1()


def downgrade() -> None:
    downgrade_messaging_v1()
