"""Customer registry, encrypted source records, blind-index keys, reviews, history, models, audit.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _at(name: str, *, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "customer",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("merged_into", sa.String(64), nullable=True),
        sa.Column("home_branch", sa.String(64), nullable=True),
        sa.Column("branches", sa.JSON(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        _at("erased_at", nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'merged', 'erased')", name=op.f("ck_customer_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
    )
    op.create_index(op.f("ix_customer_merged_into"), "customer", ["merged_into"])
    op.create_table(
        "customer_key",
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=False),
        sa.Column("master_key_id", sa.String(16), nullable=False),
        _at("created_at"),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_customer_key_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_key")),
    )
    op.create_index(op.f("ix_customer_key_master_key_id"), "customer_key", ["master_key_id"])
    _create_source_record()
    _create_record_key()
    _create_review()
    _create_history_model_audit()


def _create_source_record() -> None:
    op.create_table(
        "source_record",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("source_system", sa.String(64), nullable=False),
        sa.Column("source_record_id", sa.String(128), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("original_customer_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("branch", sa.String(64), nullable=True),
        sa.Column("channel", sa.String(64), nullable=True),
        _at("observed_at", nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_source_record_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_source_record")),
        sa.UniqueConstraint(
            "source_system", "source_record_id", name=op.f("uq_source_record_source_system")
        ),
    )
    op.create_index(op.f("ix_source_record_customer_id"), "source_record", ["customer_id"])
    op.create_index(
        op.f("ix_source_record_original_customer_id"), "source_record", ["original_customer_id"]
    )


def _create_record_key() -> None:
    op.create_table(
        "record_key",
        sa.Column("record_id", BigId, nullable=False),
        sa.Column("key_hash", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("record_id", "key_hash", name=op.f("pk_record_key")),
    )
    op.create_index("ix_record_key_key_hash", "record_key", ["key_hash"], postgresql_using="hash")


def _create_review() -> None:
    op.create_table(
        "review",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("record_id", BigId, nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("candidate_id", sa.String(64), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("probability", sa.Float(), nullable=True),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _at("created_at"),
        _at("decided_at", nullable=True),
        sa.Column("decided_by", sa.String(255), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'linked', 'separated', 'obsolete')",
            name=op.f("ck_review_status"),
        ),
        sa.ForeignKeyConstraint(
            ["record_id"],
            ["source_record.id"],
            name=op.f("fk_review_record_id_source_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review")),
    )
    for column in ("record_id", "customer_id", "candidate_id"):
        op.create_index(op.f(f"ix_review_{column}"), "review", [column])
    op.create_index(
        "ix_review_pending",
        "review",
        ["id"],
        postgresql_where=sa.text("status = 'pending'"),
        sqlite_where=sa.text("status = 'pending'"),
    )


def _create_history_model_audit() -> None:
    op.create_table(
        "customer_event",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("other_id", sa.String(64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("actor", sa.String(255), nullable=True),
        sa.Column("correlation_id", sa.String(128), nullable=True),
        _at("occurred_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_event")),
    )
    op.create_index("ix_customer_event_customer", "customer_event", ["customer_id", "id"])
    op.create_table(
        "match_model",
        sa.Column("version", BigId, autoincrement=True, nullable=False),
        sa.Column("model", sa.Text(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(255), nullable=False),
        _at("created_at"),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_match_model")),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        _at("occurred_at"),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=True),
        sa.Column("resource", sa.String(255), nullable=False),
        sa.Column("correlation_id", sa.String(128), nullable=True),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_customer_id"), "audit_log", ["customer_id"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("match_model")
    op.drop_table("customer_event")
    op.drop_table("review")
    op.drop_table("record_key")
    op.drop_table("source_record")
    op.drop_table("customer_key")
    op.drop_table("customer")
