"""The identity service's tables.

Where PII lives: only in ``source_record.payload``, encrypted with the owning customer's data
key (``customer_key``, wrapped by the master key). Lookups go through ``record_key``: keyed
hashes (blind indexes) of blocking keys and identifier values, never the values themselves.
Every other table holds ids, branch/channel codes, scores and timestamps.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from shared.db import MessagingTables, make_metadata
from shared.db.timestamps import UtcDateTime

metadata = make_metadata()
messaging = MessagingTables(metadata)

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT.
_BigId = BigInteger().with_variant(Integer(), "sqlite")


def _at(name: str, *, nullable: bool = False) -> Column[object]:
    return Column(name, UtcDateTime(), nullable=nullable)


customer = Table(
    "customer",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("merged_into", String(64), nullable=True, index=True),  # the direct survivor
    Column("home_branch", String(64), nullable=True),
    Column("branches", JSON, nullable=False),
    Column("channels", JSON, nullable=False),
    _at("created_at"),
    _at("updated_at"),
    _at("erased_at", nullable=True),
    CheckConstraint("status IN ('active', 'merged', 'erased')", name="status"),
)

# One data key per active customer; deleting the row is the crypto-shredding of erasure.
customer_key = Table(
    "customer_key",
    metadata,
    Column("customer_id", String(64), ForeignKey("customer.id"), nullable=False),
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("master_key_id", String(16), nullable=False, index=True),
    _at("created_at"),
    # The wrapped key rides in the primary key's index: candidates read it there (0003).
    PrimaryKeyConstraint("customer_id", postgresql_include=["wrapped_key", "master_key_id"]),
)

source_record = Table(
    "source_record",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("source_system", String(64), nullable=False),
    Column("source_record_id", String(128), nullable=False),
    Column("customer_id", String(64), ForeignKey("customer.id"), nullable=False, index=True),
    # The customer the record first resolved to: unmerge gives records back to it.
    Column("original_customer_id", String(64), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("branch", String(64), nullable=True),
    Column("channel", String(64), nullable=True),
    _at("observed_at", nullable=True),
    Column("payload", LargeBinary, nullable=False),  # AES-256-GCM under the owner's data key
    _at("created_at"),
    _at("updated_at"),
    UniqueConstraint("source_system", "source_record_id"),
)

# Lookups are by key_hash: a B-tree on (key_hash, record_id) answers them from the index alone
# (migration 0003; the hash index it replaced sent every candidate to a table page, and batch
# loads measured no slower). The primary key leads with record_id (ascending within a batch,
# so cheap to append) and serves deleting a record's keys. No foreign key to source_record:
# the records repository deletes keys with their record, and the per-row check would cost 40%
# of a bulk load (a 10,000-record batch writes ~120,000 keys).
record_key = Table(
    "record_key",
    metadata,
    Column("record_id", _BigId, nullable=False),
    Column("key_hash", LargeBinary, nullable=False),  # HMAC-SHA256 of the key, 16 bytes
    PrimaryKeyConstraint("record_id", "key_hash"),
)
Index("ix_record_key_key_hash_record_id", record_key.c.key_hash, record_key.c.record_id)

review = Table(
    "review",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column(
        "record_id",
        _BigId,
        ForeignKey("source_record.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("customer_id", String(64), nullable=False, index=True),  # where the record went
    Column("candidate_id", String(64), nullable=False, index=True),  # the suggested match
    Column("score", Float, nullable=True),
    Column("probability", Float, nullable=True),
    Column("reason", String(64), nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    _at("created_at"),
    _at("decided_at", nullable=True),
    Column("decided_by", String(255), nullable=True),
    CheckConstraint("status IN ('pending', 'linked', 'separated', 'obsolete')", name="status"),
)
Index(
    "ix_review_pending",
    review.c.id,
    postgresql_where=text("status = 'pending'"),
    sqlite_where=text("status = 'pending'"),
)

customer_event = Table(
    "customer_event",
    metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("customer_id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("other_id", String(64), nullable=True),
    Column("detail", JSON, nullable=False),
    Column("actor", String(255), nullable=True),
    Column("correlation_id", String(128), nullable=True),
    _at("occurred_at"),
    Index("ix_customer_event_customer", "customer_id", "id"),
)

match_model = Table(
    "match_model",
    metadata,
    Column("version", _BigId, primary_key=True, autoincrement=True),
    Column("model", Text, nullable=False),  # MatchModel.to_dict() as JSON
    Column("summary", JSON, nullable=False),
    Column("created_by", String(255), nullable=False),
    _at("created_at"),
)

# Append-only and hash-chained: row_hash = sha256(prev_hash + canonical row content).
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    _at("occurred_at"),
    Column("actor", String(255), nullable=False),
    Column("action", String(64), nullable=False),
    Column("customer_id", String(64), nullable=True, index=True),
    Column("resource", String(255), nullable=False),
    Column("correlation_id", String(128), nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("row_hash", String(64), nullable=False),
)
