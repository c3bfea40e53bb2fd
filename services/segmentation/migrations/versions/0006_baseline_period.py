"""Each published value names the month its baselines belong to (``baseline_period``).

A customer's baseline, what *migrator* compares with, is their classification at the end of the
previous month. It used to be refreshed for everyone at the first recompute of a month, which
rewrote every published value: a million rows, twice the time of any other recompute. Now a
value is given the month's baseline when it is written in a new month, and a value not written
since an earlier month has its own classification as baseline. Existing values hold the
baselines of the month the figures name, so they are marked with it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("customer_value", sa.Column("baseline_period", sa.String(7)))
    bind = op.get_bind()
    document = bind.scalar(
        sa.text("SELECT figures FROM population_figures WHERE name = 'valuation'")
    )
    period = json.loads(document).get("baseline_period") if document else None
    if period:
        bind.execute(
            sa.text("UPDATE customer_value SET baseline_period = :period"), {"period": period}
        )


def downgrade() -> None:
    with op.batch_alter_table("customer_value") as batch:
        batch.drop_column("baseline_period")
