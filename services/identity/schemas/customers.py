"""Customers and source records as answered, with PII masked unless the caller holds pii:read.

Masking keeps enough to recognise a customer and not enough to reuse the data: the surname
(``张*``, ``J*** Smith``), the region and last four of an ID number, the city of an address,
the birth year.
"""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from services.identity.domain import (
    Address,
    GoldenRecord,
    Identifier,
    SourceRecord,
    mask_full_name,
    mask_identifier,
    mask_person_name,
)
from services.identity.handlers.customers import CustomerView


class AddressRead(BaseModel):
    """A postal address; masked, only locality and state remain."""

    street_number: str | None = None
    line1: str | None = None
    line2: str | None = None
    locality: str | None = None
    postcode: str | None = None
    state: str | None = None

    @classmethod
    def of(cls, address: Address | None, *, masked: bool) -> AddressRead | None:
        """The address, masked or not."""
        if address is None:
            return None
        if masked:
            return cls(locality=address.locality, state=address.state)
        return cls(**{p: getattr(address, p) for p in cls.model_fields})


class IdentifierRead(BaseModel):
    """An identifier (masked per type: ``110105********1234``, ``138****5678``)."""

    type: str
    value: str

    @classmethod
    def of(cls, identifier: Identifier, *, masked: bool) -> IdentifierRead:
        """The identifier, masked or not."""
        value = mask_identifier(identifier) if masked else identifier.value
        return cls(type=identifier.type, value=value)


class PersonData(BaseModel):
    """The PII fields shared by golden records and source records."""

    masked: bool
    display_name: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    full_name: str | None = None
    birth_date: str | None = Field(default=None, description="ISO date; masked: 1980-**-**")
    gender: str | None = None
    address: AddressRead | None = None
    identifiers: list[IdentifierRead] = Field(default_factory=list)


def person_data(record: SourceRecord | GoldenRecord, *, masked: bool) -> dict[str, object]:
    """The PII fields of a record or golden record, masked or not."""
    given, family, full = record.given_name, record.family_name, record.full_name
    birth = record.birth_date
    if masked:
        display = mask_person_name(given, family) if (given or family) else None
        display = display or (mask_full_name(full) if full else None)
        given = family = full = None
    else:
        display = full or " ".join(p for p in (given, family) if p) or None
    return {
        "masked": masked,
        "display_name": display,
        "given_name": given,
        "family_name": family,
        "full_name": full,
        "birth_date": _birth(birth, masked=masked),
        "gender": record.gender,
        "address": AddressRead.of(record.address, masked=masked),
        "identifiers": [IdentifierRead.of(i, masked=masked) for i in record.identifiers],
    }


def _birth(birth: dt.date | None, *, masked: bool) -> str | None:
    if birth is None:
        return None
    return f"{birth.year:04d}-**-**" if masked else birth.isoformat()


class RecordRef(BaseModel):
    """Which source record an attribute came from."""

    source_system: str
    source_record_id: str


class CustomerRead(PersonData):
    """A customer's golden record, built from its source records by survivorship."""

    customer_id: str
    requested_id: str
    merged_into: str | None = Field(
        default=None, description="set when the requested id was merged: the survivor"
    )
    kind: str
    status: str = Field(description="active | erased")
    home_branch: str | None = None
    branches: list[str] = Field(default_factory=list)
    channels: list[str] = Field(default_factory=list)
    completeness: float | None = None
    provenance: dict[str, RecordRef] = Field(default_factory=dict)
    record_count: int
    merged_ids: list[str] = Field(default_factory=list)
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, view: CustomerView, *, masked: bool) -> CustomerRead:
        """From a handler's view."""
        row, golden = view.customer, view.golden
        data = person_data(golden, masked=masked) if golden else {"masked": masked}
        provenance = {
            name: RecordRef(source_system=key[0], source_record_id=key[1])
            for name, key in (golden.provenance.items() if golden else ())
        }
        return cls(
            **data,
            customer_id=row.id,
            requested_id=view.requested_id,
            merged_into=row.id if view.requested_id != row.id else None,
            kind=row.kind,
            status=row.status,
            home_branch=golden.home_branch if golden else None,
            branches=list(golden.branches) if golden else [],
            channels=list(golden.channels) if golden else [],
            completeness=golden.completeness if golden else None,
            provenance=provenance,
            record_count=len(view.records),
            merged_ids=view.merged_ids,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class CustomerList(BaseModel):
    """Customers found by a lookup."""

    items: list[CustomerRead]


class SourceRecordRead(PersonData):
    """One source record of a customer."""

    source_system: str
    source_record_id: str
    kind: str
    customer_id: str
    original_customer_id: str
    branch: str | None = None
    channel: str | None = None
    observed_at: dt.datetime | None = None


class SourceRecordList(BaseModel):
    """A customer's source records."""

    customer_id: str
    items: list[SourceRecordRead]

    @classmethod
    def of(cls, view: CustomerView, *, masked: bool) -> SourceRecordList:
        """From a handler's view."""
        items = [
            SourceRecordRead(
                **person_data(record, masked=masked),
                source_system=stored.source_system,
                source_record_id=stored.source_record_id,
                kind=stored.kind,
                customer_id=stored.customer_id,
                original_customer_id=stored.original_customer_id,
                branch=stored.branch,
                channel=stored.channel,
                observed_at=record.observed_at,
            )
            for stored, record in view.records
        ]
        return cls(customer_id=view.customer.id, items=items)
