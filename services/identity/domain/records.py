"""Source records: what one source system says about one customer, validated and immutable.

The JSON shape read by :func:`record_from_dict` (and written by :func:`record_to_dict`)::

    {"source_system": "core", "source_record_id": "42", "kind": "person",
     "attributes": {"given_name": "伟", "family_name": "张", "full_name": null,
                    "birth_date": "1949-12-31", "gender": "M",
                    "address": {"street_number": "6", "line1": "...", "line2": null,
                                "locality": "...", "postcode": "100000", "state": "..."}},
     "identifiers": [{"type": "id_card", "value": "11010519491231002X"}],
     "branch": "0101", "channel": "counter", "observed_at": "2024-05-01T08:00:00Z"}
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from services.identity.domain.china_ids import parse_id_card
from services.identity.domain.errors import InvalidAttribute
from services.identity.domain.identifiers import Identifier, normalize_identifier

Kind = Literal["person", "organization"]
ADDRESS_PARTS = ("street_number", "line1", "line2", "locality", "postcode", "state")
_GENDERS = {"m": "M", "male": "M", "男": "M", "f": "F", "female": "F", "女": "F"}


@dataclass(frozen=True, slots=True)
class Address:
    """A postal address as entered; normalization for matching lives in ``addresses``."""

    street_number: str | None = None
    line1: str | None = None
    line2: str | None = None
    locality: str | None = None
    postcode: str | None = None
    state: str | None = None

    def filled(self) -> int:
        """How many parts are present (the completeness used by survivorship)."""
        return sum(1 for part in ADDRESS_PARTS if getattr(self, part))


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One source system's record of a customer; the unit of matching and survivorship."""

    source_system: str
    source_record_id: str
    kind: Kind = "person"
    given_name: str | None = None
    family_name: str | None = None
    full_name: str | None = None
    birth_date: dt.date | None = None
    gender: str | None = None
    address: Address | None = None
    identifiers: tuple[Identifier, ...] = ()
    branch: str | None = None
    channel: str | None = None
    observed_at: dt.datetime | None = None

    @property
    def key(self) -> tuple[str, str]:
        """The record's identity: (source system, id in that system)."""
        return (self.source_system, self.source_record_id)

    def values_of(self, id_type: str) -> tuple[str, ...]:
        """The values of every identifier of ``id_type`` on this record."""
        return tuple(i.value for i in self.identifiers if i.type == id_type)


def clean_text(value: object) -> str | None:
    """NFKC, trimmed, inner whitespace collapsed; empty becomes None."""
    if value is None:
        return None
    text = " ".join(unicodedata.normalize("NFKC", str(value)).split())
    return text or None


def record_from_dict(data: Mapping[str, Any]) -> SourceRecord:
    """Validate a record in the API's JSON shape; raise InvalidInput naming the broken rule."""
    attrs: Mapping[str, Any] = data.get("attributes") or {}
    identifiers = _identifiers(data.get("identifiers") or [])
    birth, gender = _birth_date(attrs.get("birth_date")), _gender(attrs.get("gender"))
    id_cards = [i for i in identifiers if i.type == "id_card"]
    if id_cards:  # the ID number encodes both; fill them when the source left them out
        info = parse_id_card(id_cards[0].value)
        birth, gender = birth or info.birth_date, gender or info.gender
    record = SourceRecord(
        source_system=_required(data, "source_system"),
        source_record_id=_required(data, "source_record_id"),
        kind=_kind(data.get("kind", "person")),
        given_name=clean_text(attrs.get("given_name")),
        family_name=clean_text(attrs.get("family_name")),
        full_name=clean_text(attrs.get("full_name")),
        birth_date=birth,
        gender=gender,
        address=_address(attrs.get("address")),
        identifiers=identifiers,
        branch=clean_text(data.get("branch")),
        channel=clean_text(data.get("channel")),
        observed_at=_timestamp(data.get("observed_at")),
    )
    if not (record.given_name or record.family_name or record.full_name or identifiers):
        raise InvalidAttribute("attributes", "record.empty", "a record needs a name or an id")
    return record


def record_to_dict(record: SourceRecord) -> dict[str, Any]:
    """The inverse of :func:`record_from_dict` (dates in ISO format)."""
    address = record.address
    attrs = {
        "given_name": record.given_name,
        "family_name": record.family_name,
        "full_name": record.full_name,
        "birth_date": record.birth_date.isoformat() if record.birth_date else None,
        "gender": record.gender,
        "address": {p: getattr(address, p) for p in ADDRESS_PARTS} if address else None,
    }
    return {
        "source_system": record.source_system,
        "source_record_id": record.source_record_id,
        "kind": record.kind,
        "attributes": attrs,
        "identifiers": [{"type": i.type, "value": i.value} for i in record.identifiers],
        "branch": record.branch,
        "channel": record.channel,
        "observed_at": record.observed_at.isoformat() if record.observed_at else None,
    }


def _required(data: Mapping[str, Any], name: str) -> str:
    value = clean_text(data.get(name))
    if value is None:
        raise InvalidAttribute(name, f"{name}.required", "is required")
    return value


def _kind(value: object) -> Kind:
    if value == "person":
        return "person"
    if value == "organization":
        return "organization"
    raise InvalidAttribute("kind", "kind.enum", "person or organization")


def _identifiers(items: Any) -> tuple[Identifier, ...]:
    seen: dict[Identifier, None] = {}
    for item in items:
        if isinstance(item, Mapping):
            id_type, value = item.get("type"), item.get("value")
        else:
            id_type, value = item
        seen[normalize_identifier(str(id_type), value)] = None  # dict keeps first-seen order
    return tuple(seen)


def _birth_date(value: object) -> dt.date | None:
    if value is None or value == "":
        return None
    try:
        birth = value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
    except ValueError:
        raise InvalidAttribute("birth_date", "birth_date.format", "YYYY-MM-DD") from None
    if not dt.date(1890, 1, 1) <= birth <= dt.date.today():
        raise InvalidAttribute("birth_date", "birth_date.range", "birth date out of range")
    return birth


def _gender(value: object) -> str | None:
    if value is None or value == "":
        return None
    gender = _GENDERS.get(str(value).strip().lower())
    if gender is None:
        raise InvalidAttribute("gender", "gender.enum", "M or F")
    return gender


def _address(value: Any) -> Address | None:
    if not value:
        return None
    if not isinstance(value, Mapping):
        raise InvalidAttribute("address", "address.format", "an object of address parts")
    parts = {p: clean_text(value.get(p)) for p in ADDRESS_PARTS}
    address = Address(**parts)
    return address if address.filled() else None


def _timestamp(value: object) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        stamp = value
    else:
        try:
            stamp = dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise InvalidAttribute("observed_at", "observed_at.format", "ISO 8601") from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)
