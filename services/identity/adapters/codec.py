"""Source records to and from the bytes the vault encrypts.

Reading does not re-validate: a record stored under older validation rules must still load
(and its identifiers were normalized when it was accepted).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic_core import from_json, to_json

from services.identity.domain import Address, Identifier, SourceRecord, record_to_dict


def encode_record(record: SourceRecord) -> bytes:
    """The record as compact UTF-8 JSON (the shape of ``record_to_dict``).

    pydantic-core's encoder gives the bytes ``json`` gave (compact, unescaped) five times faster.
    """
    return to_json(record_to_dict(record))


def decode_record(raw: bytes) -> SourceRecord:
    """The inverse of `encode_record`."""
    # Twice as fast as json.loads; only keys go to pydantic's string cache, never PII values.
    data: dict[str, Any] = from_json(raw, cache_strings="keys")
    attrs = data["attributes"]
    address = attrs.get("address")
    birth, observed = attrs.get("birth_date"), data.get("observed_at")
    return SourceRecord(
        source_system=data["source_system"],
        source_record_id=data["source_record_id"],
        kind=data["kind"],
        given_name=attrs.get("given_name"),
        family_name=attrs.get("family_name"),
        full_name=attrs.get("full_name"),
        birth_date=dt.date.fromisoformat(birth) if birth else None,
        gender=attrs.get("gender"),
        address=Address(**address) if address else None,
        identifiers=tuple(Identifier(i["type"], i["value"]) for i in data["identifiers"]),
        branch=data.get("branch"),
        channel=data.get("channel"),
        observed_at=dt.datetime.fromisoformat(observed) if observed else None,
    )


def record_aad(source_system: str, source_record_id: str) -> bytes:
    """Associated data binding a ciphertext to its record's identity."""
    return f"{source_system}\x1f{source_record_id}".encode()
