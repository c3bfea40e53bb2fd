"""The audit log's hash chain: each row's hash covers its content and the previous hash."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from services.identity.adapters.audit import GENESIS, AuditEntry, row_hash

AT = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)
ENTRY = AuditEntry("clerk-1", "pii.read", "c-1", "GET /v1/customers/c-1", "corr-1", AT)


def test_the_hash_is_sha256_hex_and_deterministic() -> None:
    digest = row_hash(GENESIS, 1, ENTRY)
    assert len(digest) == 64 and int(digest, 16) >= 0
    assert row_hash(GENESIS, 1, ENTRY) == digest


def test_changing_any_field_or_the_position_changes_the_hash() -> None:
    digest = row_hash(GENESIS, 1, ENTRY)
    variants = [
        replace(ENTRY, actor="clerk-2"),
        replace(ENTRY, action="customer.erase"),
        replace(ENTRY, customer_id="c-2"),
        replace(ENTRY, resource="GET /v1/customers/c-2"),
        replace(ENTRY, correlation_id=None),
        replace(ENTRY, occurred_at=AT + dt.timedelta(microseconds=1)),
    ]
    assert all(row_hash(GENESIS, 1, v) != digest for v in variants)
    assert row_hash(GENESIS, 2, ENTRY) != digest
    assert row_hash("1" * 64, 1, ENTRY) != digest


def test_a_naive_timestamp_from_the_database_hashes_like_its_utc_original() -> None:
    naive = replace(ENTRY, occurred_at=AT.replace(tzinfo=None))
    shanghai = replace(ENTRY, occurred_at=AT.astimezone(dt.timezone(dt.timedelta(hours=8))))
    assert row_hash(GENESIS, 1, naive) == row_hash(GENESIS, 1, ENTRY)
    assert row_hash(GENESIS, 1, shanghai) == row_hash(GENESIS, 1, ENTRY)
