"""Customer, segment and account ids compare byte by byte (PostgreSQL only).

Ids are opaque ASCII tokens, yet under the database's default collation every comparison in
their indexes, sorts and joins went through the locale's ``strcoll``. With ``COLLATE "C"`` a
first valuation writes its million values and half a million memberships about a third faster,
and every folded batch looks its customers up for less. The tables are not rewritten, but their
id indexes are rebuilt inside the migration's transaction, blocking writes meanwhile.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = {
    "customer_profile": ("customer_id",),
    "activity_day": ("customer_id",),
    "balance_snapshot": ("customer_id",),
    "product_holding": ("customer_id", "account_id"),
    "customer_alias": ("merged_id", "survivor_id"),
    "customer_value": ("customer_id",),
    "segment": ("id",),
    "segment_member": ("segment_id", "customer_id"),
}


def _collate(collation: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        changes = ", ".join(
            f'ALTER COLUMN "{c}" TYPE varchar(64) COLLATE "{collation}"' for c in columns
        )
        op.execute(f'ALTER TABLE "{table}" {changes}')


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate("default")
