"""Segment members no longer reference the segment table with a foreign key.

PostgreSQL checks a foreign key with one query per inserted row: a first valuation that enters
half a million members spent as long on those checks as on the rows. Members are only written
for segments read in the same transaction under the valuation lock, and deleting a segment (under
that lock too) deletes its members itself, so the key guarded nothing the writers do not.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_NAME = "fk_segment_member_segment_id_segment"


def upgrade() -> None:
    with op.batch_alter_table("segment_member") as batch:
        batch.drop_constraint(_NAME, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("segment_member") as batch:
        batch.create_foreign_key(_NAME, "segment", ["segment_id"], ["id"], ondelete="CASCADE")
