"""Customer profiles, day buckets, balances, products, values, segments, CLV models.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "activity_day",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("txn_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("txn_amount", sa.Float(), server_default="0", nullable=False),
        sa.Column("fee_income", sa.Float(), server_default="0", nullable=False),
        sa.Column("cost_to_serve", sa.Float(), server_default="0", nullable=False),
        sa.Column("deposit_delta", sa.Float(), server_default="0", nullable=False),
        sa.Column("loan_delta", sa.Float(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "day", name=op.f("pk_activity_day")),
    )
    op.create_index("ix_activity_day_day", "activity_day", ["day"], unique=False)
    op.create_table(
        "balance_snapshot",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("deposits", sa.Float(), server_default="0", nullable=False),
        sa.Column("investments", sa.Float(), server_default="0", nullable=False),
        sa.Column("loans_outstanding", sa.Float(), server_default="0", nullable=False),
        sa.Column("financial_assets", sa.Float(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "as_of", name=op.f("pk_balance_snapshot")),
    )
    op.create_table(
        "clv_model",
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("fitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("fitted_by", sa.String(length=255), nullable=False),
        sa.Column("calibration_end", sa.Date(), nullable=True),
        sa.Column("time_unit", sa.String(length=8), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("bgnbd", sa.Text(), nullable=False),
        sa.Column("gamma_gamma", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_clv_model")),
    )
    op.create_index(op.f("ix_clv_model_fitted_at"), "clv_model", ["fitted_at"], unique=False)
    op.create_table(
        "customer_alias",
        sa.Column("merged_id", sa.String(length=64), nullable=False),
        sa.Column("survivor_id", sa.String(length=64), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("merged_id", name=op.f("pk_customer_alias")),
    )
    op.create_index(
        op.f("ix_customer_alias_survivor_id"), "customer_alias", ["survivor_id"], unique=False
    )
    op.create_table(
        "customer_profile",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=True),
        sa.Column("home_branch", sa.String(length=64), nullable=True),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stage", sa.String(length=16), nullable=True),
        sa.Column("stage_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("relationship_start_day", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_transaction_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_transaction_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_day", sa.Integer(), nullable=True),
        sa.Column("last_day", sa.Integer(), nullable=True),
        sa.Column("first_day_amount", sa.Float(), server_default="0", nullable=False),
        sa.Column("active_days", sa.Integer(), server_default="0", nullable=False),
        sa.Column("first_activity_day", sa.Integer(), nullable=True),
        sa.Column("windows_on", sa.Integer(), nullable=False),
        sa.Column("txn_count_30d", sa.Float(), server_default="0", nullable=False),
        sa.Column("txn_amount_30d", sa.Float(), server_default="0", nullable=False),
        sa.Column("fee_income_30d", sa.Float(), server_default="0", nullable=False),
        sa.Column("cost_to_serve_30d", sa.Float(), server_default="0", nullable=False),
        sa.Column("deposit_delta_30d", sa.Float(), server_default="0", nullable=False),
        sa.Column("loan_delta_30d", sa.Float(), server_default="0", nullable=False),
        sa.Column("deposit_moment_30d", sa.Float(), server_default="0", nullable=False),
        sa.Column("loan_moment_30d", sa.Float(), server_default="0", nullable=False),
        sa.Column("txn_count_90d", sa.Float(), server_default="0", nullable=False),
        sa.Column("txn_amount_90d", sa.Float(), server_default="0", nullable=False),
        sa.Column("fee_income_90d", sa.Float(), server_default="0", nullable=False),
        sa.Column("cost_to_serve_90d", sa.Float(), server_default="0", nullable=False),
        sa.Column("deposit_delta_90d", sa.Float(), server_default="0", nullable=False),
        sa.Column("loan_delta_90d", sa.Float(), server_default="0", nullable=False),
        sa.Column("deposit_moment_90d", sa.Float(), server_default="0", nullable=False),
        sa.Column("loan_moment_90d", sa.Float(), server_default="0", nullable=False),
        sa.Column("txn_count_365d", sa.Float(), server_default="0", nullable=False),
        sa.Column("txn_amount_365d", sa.Float(), server_default="0", nullable=False),
        sa.Column("fee_income_365d", sa.Float(), server_default="0", nullable=False),
        sa.Column("cost_to_serve_365d", sa.Float(), server_default="0", nullable=False),
        sa.Column("deposit_delta_365d", sa.Float(), server_default="0", nullable=False),
        sa.Column("loan_delta_365d", sa.Float(), server_default="0", nullable=False),
        sa.Column("deposit_moment_365d", sa.Float(), server_default="0", nullable=False),
        sa.Column("loan_moment_365d", sa.Float(), server_default="0", nullable=False),
        sa.Column("txn_count_all", sa.Float(), server_default="0", nullable=False),
        sa.Column("txn_amount_all", sa.Float(), server_default="0", nullable=False),
        sa.Column("fee_income_all", sa.Float(), server_default="0", nullable=False),
        sa.Column("cost_to_serve_all", sa.Float(), server_default="0", nullable=False),
        sa.Column("deposit_delta_all", sa.Float(), server_default="0", nullable=False),
        sa.Column("loan_delta_all", sa.Float(), server_default="0", nullable=False),
        sa.Column("deposit_moment_all", sa.Float(), server_default="0", nullable=False),
        sa.Column("loan_moment_all", sa.Float(), server_default="0", nullable=False),
        sa.Column("balance_as_of", sa.Date(), nullable=True),
        sa.Column("deposits", sa.Float(), nullable=True),
        sa.Column("investments", sa.Float(), nullable=True),
        sa.Column("loans_outstanding", sa.Float(), nullable=True),
        sa.Column("financial_assets", sa.Float(), nullable=True),
        sa.Column("products", sa.String(length=1024), server_default="", nullable=False),
        sa.Column("product_kinds", sa.String(length=64), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_profile")),
    )
    op.create_table(
        "customer_value",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("abc_class", sa.String(length=1), nullable=False),
        sa.Column("categories", sa.String(length=128), server_default="", nullable=False),
        sa.Column("baseline_tier", sa.String(length=16), nullable=True),
        sa.Column("baseline_abc_class", sa.String(length=1), nullable=True),
        sa.Column("valued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customer_value")),
    )
    op.create_table(
        "population_figures",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_population_figures")),
    )
    op.create_table(
        "product_holding",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("product", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("customer_id", "account_id", name=op.f("pk_product_holding")),
    )
    op.create_table(
        "segment",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("condition", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_segment")),
        sa.UniqueConstraint("name", name=op.f("uq_segment_name")),
    )
    op.create_table(
        "segment_member",
        sa.Column("segment_id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["segment_id"],
            ["segment.id"],
            name=op.f("fk_segment_member_segment_id_segment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("segment_id", "customer_id", name=op.f("pk_segment_member")),
    )
    op.create_index(
        "ix_segment_member_customer_id", "segment_member", ["customer_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_segment_member_customer_id", table_name="segment_member")
    op.drop_table("segment_member")
    op.drop_table("segment")
    op.drop_table("product_holding")
    op.drop_table("population_figures")
    op.drop_table("customer_value")
    op.drop_table("customer_profile")
    op.drop_index(op.f("ix_customer_alias_survivor_id"), table_name="customer_alias")
    op.drop_table("customer_alias")
    op.drop_index(op.f("ix_clv_model_fitted_at"), table_name="clv_model")
    op.drop_table("clv_model")
    op.drop_table("balance_snapshot")
    op.drop_index("ix_activity_day_day", table_name="activity_day")
    op.drop_table("activity_day")
