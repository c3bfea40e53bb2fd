"""The segmentation service's tables.

Money here is analytics, not the ledger: double precision (exact to the fen well beyond any
customer's balance) keeps the vectorized recompute fast. Days are integers (days since
1970-01-01, UTC), so window arithmetic is the same in PostgreSQL and SQLite.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from services.segmentation.domain.activity import DAY_FIELDS, WINDOW_COLUMNS
from shared.db import MessagingTables, make_metadata
from shared.db.timestamps import UtcDateTime

metadata = make_metadata()
messaging = MessagingTables(metadata)

# Ids compare byte by byte in PostgreSQL, not by the locale's rules (migration 0005).
_ID = String(64).with_variant(String(64, collation="C"), "postgresql")


def _amount(name: str) -> Column[float]:
    return Column(name, Float, nullable=False, server_default="0")


customer_profile = Table(
    "customer_profile",
    metadata,
    Column("customer_id", _ID, primary_key=True),
    Column("kind", String(16)),
    Column("home_branch", String(64)),
    Column("registered_at", UtcDateTime()),
    Column("stage", String(16)),
    Column("stage_at", UtcDateTime()),
    Column("first_seen_at", UtcDateTime(), nullable=False),
    Column("relationship_start_day", Integer, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("first_transaction_at", UtcDateTime()),
    Column("last_transaction_at", UtcDateTime()),
    Column("first_day", Integer),
    Column("last_day", Integer),
    _amount("first_day_amount"),
    Column("active_days", Integer, nullable=False, server_default="0"),
    Column("first_activity_day", Integer),
    Column("windows_on", Integer, nullable=False),
    *(_amount(column) for column in WINDOW_COLUMNS),
    Column("balance_as_of", Date),
    Column("deposits", Float),
    Column("investments", Float),
    Column("loans_outstanding", Float),
    Column("financial_assets", Float),
    Column("products", String(1024), nullable=False, server_default=""),
    Column("product_kinds", String(64), nullable=False, server_default=""),
    postgresql_with={"fillfactor": 85},  # room for HOT updates (migration 0003)
)

activity_day = Table(
    "activity_day",
    metadata,
    Column("customer_id", _ID, primary_key=True),
    Column("day", Integer, primary_key=True),
    *(
        Column(f, Integer if f == "txn_count" else Float, nullable=False, server_default="0")
        for f in DAY_FIELDS
    ),
    Index("ix_activity_day_day", "day"),
)

balance_snapshot = Table(
    "balance_snapshot",
    metadata,
    Column("customer_id", _ID, primary_key=True),
    Column("as_of", Date, primary_key=True),
    _amount("deposits"),
    _amount("investments"),
    _amount("loans_outstanding"),
    _amount("financial_assets"),
)

product_holding = Table(
    "product_holding",
    metadata,
    Column("customer_id", _ID, primary_key=True),
    Column("account_id", _ID, primary_key=True),
    Column("product", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("opened_at", UtcDateTime()),
    Column("closed_at", UtcDateTime()),
)

customer_alias = Table(
    "customer_alias",
    metadata,
    Column("merged_id", _ID, primary_key=True),
    Column("survivor_id", _ID, nullable=False, index=True),
    Column("merged_at", UtcDateTime(), nullable=False),
)

customer_value = Table(
    "customer_value",
    metadata,
    Column("customer_id", _ID, primary_key=True),
    Column("tier", String(16), nullable=False),
    Column("abc_class", String(1), nullable=False),
    Column("categories", String(128), nullable=False, server_default=""),
    Column("baseline_tier", String(16)),
    Column("baseline_abc_class", String(1)),
    Column("baseline_period", String(7)),
    Column("valued_at", UtcDateTime(), nullable=False),
)

segment = Table(
    "segment",
    metadata,
    Column("id", _ID, primary_key=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("description", Text, nullable=False, server_default=""),
    Column("condition", Text, nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("evaluated_at", UtcDateTime()),
)

segment_member = Table(
    "segment_member",
    metadata,
    # No foreign key to segment: checked per inserted row, it doubled a first valuation's
    # member writes (migration 0004); members are written only for segments just read.
    Column("segment_id", _ID, primary_key=True),
    Column("customer_id", _ID, primary_key=True),
    Column("entered_at", UtcDateTime(), nullable=False),
    Index("ix_segment_member_customer_id", "customer_id"),
)

clv_model = Table(
    "clv_model",
    metadata,
    Column("version", String(64), primary_key=True),
    Column("fitted_at", UtcDateTime(), nullable=False, index=True),
    Column("fitted_by", String(255), nullable=False),
    Column("calibration_end", Date),
    Column("time_unit", String(8), nullable=False),
    Column("customers", Integer, nullable=False),
    Column("bgnbd", Text, nullable=False),
    Column("gamma_gamma", Text, nullable=False),
)

population_figures = Table(
    "population_figures",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("figures", Text, nullable=False),
    Column("computed_at", UtcDateTime(), nullable=False),
)
