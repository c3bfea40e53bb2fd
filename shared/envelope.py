"""CloudEvents 1.0 structured-mode envelope carried in every Kafka record value."""

from __future__ import annotations

import functools
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_serializer,
    field_validator,
)

CONTENT_TYPE = "application/cloudevents+json"
_TYPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+\.v[0-9]+$")


def utc_timestamp(moment: datetime) -> str:
    """An aware time as RFC 3339 in UTC with a ``Z`` (a CloudEvent's ``time``)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@functools.lru_cache(maxsize=1024)
def _is_type_name(value: str) -> bool:
    # A platform has a few dozen types: remember the verdicts instead of matching every record.
    return _TYPE_PATTERN.match(value) is not None


class EnvelopeError(ValueError):
    """A record value that is not a valid CloudEvent of ours."""


class Envelope(BaseModel):
    """One event: the CloudEvents attributes, our extensions and the JSON ``data``."""

    model_config = ConfigDict(frozen=True, extra="allow")

    specversion: str = "1.0"
    id: str = Field(default_factory=lambda: str(uuid.uuid4()), min_length=1)
    source: str = Field(min_length=1)
    type: str
    subject: str | None = None
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: str = "application/json"
    data: dict[str, Any]
    correlationid: str | None = None
    causationid: str | None = None
    traceparent: str | None = None
    partitionkey: str | None = None

    @field_validator("specversion")
    @classmethod
    def _is_1_0(cls, value: str) -> str:
        if value != "1.0":
            raise ValueError(f"unsupported specversion {value!r}, expected '1.0'")
        return value

    @field_validator("type")
    @classmethod
    def _is_versioned(cls, value: str) -> str:
        if not _is_type_name(value):
            raise ValueError(f"type {value!r} is not '<domain>.<aggregate>.<verb>.v<N>'")
        return value

    @field_validator("time")
    @classmethod
    def _is_aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time must carry a UTC offset")
        return value

    @field_serializer("time", when_used="json")
    def _utc(self, value: datetime) -> str:
        return utc_timestamp(value)

    def encode(self) -> bytes:
        """Serialize to the structured-mode JSON record value (pydantic's serializer, compact)."""
        return self.model_dump_json(exclude_none=True).encode()

    @property
    def key(self) -> bytes | None:
        """The Kafka record key: the partition key, else the subject (the customer id)."""
        key = self.partitionkey or self.subject
        return key.encode() if key else None


def decode(value: bytes | None) -> Envelope:
    """Parse and validate a record value; raise `EnvelopeError` saying what is wrong."""
    if not value:
        raise EnvelopeError("empty record value")
    try:
        return Envelope.model_validate_json(value)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'value'}: {err['msg']}"
            for err in exc.errors()
        )
        raise EnvelopeError(f"not a valid CloudEvent: {problems}") from exc


def headers() -> list[tuple[str, bytes]]:
    """The Kafka headers of a structured-mode record."""
    return [("content-type", CONTENT_TYPE.encode())]
