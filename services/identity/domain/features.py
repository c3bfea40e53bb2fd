"""A source record in comparison form, computed once per record (pinyin and folding are slow)."""

from __future__ import annotations

from dataclasses import dataclass

from services.identity.domain.addresses import NormalizedAddress, normalize_address
from services.identity.domain.identifiers import STRENGTH, Strength
from services.identity.domain.names import NamePart, normalize_org_name, person_name_parts
from services.identity.domain.records import SourceRecord

DIGITAL_ID_TYPES = ("mobile_user_id", "device_id")


@dataclass(frozen=True, slots=True)
class PreparedRecord:
    """The comparable features of one source record; empty string or set means absent."""

    record: SourceRecord
    given: NamePart | None
    family: NamePart | None
    org: str | None
    dob: str  # YYYYMMDD
    gender: str
    address: NormalizedAddress
    phones: frozenset[str]
    emails: frozenset[str]
    bank_cards: frozenset[str]
    digital_ids: frozenset[str]
    weak_ids: frozenset[tuple[str, str]]
    strong_ids: frozenset[tuple[str, str]]

    @property
    def kind(self) -> str:
        """person or organization."""
        return self.record.kind


def prepare(record: SourceRecord) -> PreparedRecord:
    """Normalize every compared attribute of ``record``."""
    person = record.kind == "person"
    given, family = (
        person_name_parts(record.given_name, record.family_name, record.full_name)
        if person
        else (None, None)
    )
    ids = record.identifiers
    return PreparedRecord(
        record=record,
        given=given,
        family=family,
        org=None if person else normalize_org_name(record.full_name),
        dob=record.birth_date.strftime("%Y%m%d") if record.birth_date else "",
        gender=record.gender or "",
        address=normalize_address(record.address),
        phones=frozenset(i.value for i in ids if i.type == "phone"),
        # Mailbox names are case-insensitive at every large provider, though RFC 5321 allows not.
        emails=frozenset(i.value.casefold() for i in ids if i.type == "email"),
        bank_cards=frozenset(i.value for i in ids if i.type == "bank_card"),
        digital_ids=frozenset(f"{i.type}:{i.value}" for i in ids if i.type in DIGITAL_ID_TYPES),
        weak_ids=frozenset((i.type, i.value) for i in ids if STRENGTH[i.type] is Strength.WEAK),
        strong_ids=frozenset((i.type, i.value) for i in ids if STRENGTH[i.type] is Strength.STRONG),
    )
