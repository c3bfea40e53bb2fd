"""Leave room in customer_profile pages for HOT updates (PostgreSQL only).

Every folded batch and every recompute rewrites profile rows; with 15 % free space per page the
new row versions stay on their page and the primary key index is not touched.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE customer_profile SET (fillfactor = 85)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE customer_profile RESET (fillfactor)")
