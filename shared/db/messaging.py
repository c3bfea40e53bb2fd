"""Tables in every service database: ``outbox_message``, ``inbox_message``, ``idempotency_key``."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)

from shared.db.timestamps import UtcDateTime

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
_BigId = BigInteger().with_variant(Integer(), "sqlite")


class MessagingTables:
    """The outbox, inbox and idempotency tables, bound to one service's MetaData."""

    def __init__(self, metadata: MetaData) -> None:
        self.outbox = Table(
            "outbox_message",
            metadata,
            Column("id", _BigId, primary_key=True, autoincrement=True),
            Column("event_id", String(64), nullable=False, unique=True),
            Column("topic", String(255), nullable=False),
            Column("key", String(128), nullable=True),
            Column("event_type", String(255), nullable=False),
            Column("value", Text, nullable=False),
            Column("created_at", UtcDateTime(), nullable=False),
            Column("sent_at", UtcDateTime(), nullable=True),
        )
        Index(
            "ix_outbox_message_unsent",
            self.outbox.c.id,
            postgresql_where=text("sent_at IS NULL"),
            sqlite_where=text("sent_at IS NULL"),
        )
        self.inbox = Table(
            "inbox_message",
            metadata,
            Column("event_id", String(64), primary_key=True),
            Column("event_type", String(255), nullable=False),
            Column("topic", String(255), nullable=False),
            Column("received_at", UtcDateTime(), nullable=False, index=True),
        )
        self.idempotency = Table(
            "idempotency_key",
            metadata,
            Column("principal", String(255), nullable=False),
            Column("key", String(255), nullable=False),
            Column("request_hash", String(64), nullable=False),
            Column("status_code", Integer, nullable=False),
            Column("body", Text, nullable=False),
            Column("created_at", UtcDateTime(), nullable=False, index=True),
            PrimaryKeyConstraint("principal", "key"),
        )
