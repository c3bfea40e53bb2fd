"""What callers see: masked PII without pii:read, everything with it."""

from __future__ import annotations

import datetime as dt

from services.identity.adapters.customers import CustomerRow
from services.identity.adapters.records import StoredRecord
from services.identity.domain import build_golden_record, record_from_dict
from services.identity.handlers.customers import CustomerView
from services.identity.schemas import CustomerRead, SourceRecordList
from tests.unit.identity.builders import ID_CARD, make_dict

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def a_view(**attributes: object) -> CustomerView:
    record = record_from_dict(
        make_dict(
            identifiers=[
                {"type": "id_card", "value": ID_CARD},
                {"type": "phone", "value": "13812345678"},
                {"type": "email", "value": "zhang.wei@example.com"},
            ],
            **attributes,
        )
    )
    row = CustomerRow("c-1", "person", "active", None, "0101", ["0101"], [], NOW, NOW, None)
    stored = StoredRecord(1, "c-1", "c-1", *record.key, "person", "0101", None, None)
    return CustomerView(row, "c-1", build_golden_record([record]), [(stored, record)], [])


def test_without_pii_read_names_ids_and_addresses_are_masked() -> None:
    read = CustomerRead.of(a_view(given_name="伟", family_name="张"), masked=True)
    assert read.masked is True
    assert (read.display_name, read.given_name, read.family_name) == ("张*", None, None)
    assert read.birth_date == "1980-**-**"
    assert {i.type: i.value for i in read.identifiers} == {
        "id_card": "110105********002X",
        "phone": "138****5678",
        "email": "z***@example.com",
    }
    assert read.address is not None
    assert (read.address.line1, read.address.postcode, read.address.locality) == (
        None,
        None,
        "st james",
    )
    assert ID_CARD not in read.model_dump_json()


def test_with_pii_read_everything_is_shown() -> None:
    read = CustomerRead.of(a_view(), masked=False)
    assert (read.display_name, read.birth_date) == ("john smith", "1980-04-12")
    assert ID_CARD in {i.value for i in read.identifiers}
    assert read.address is not None and read.address.line1 == "tullaroop street"


def test_source_records_are_masked_the_same_way() -> None:
    listed = SourceRecordList.of(a_view(), masked=True)
    [item] = listed.items
    assert (item.display_name, item.original_customer_id) == ("j*** smith", "c-1")
    assert "13812345678" not in listed.model_dump_json()


def test_a_merged_id_answers_with_its_survivor() -> None:
    view = a_view()
    merged = CustomerView(view.customer, "c-old", view.golden, view.records, ["c-old"])
    read = CustomerRead.of(merged, masked=True)
    assert (read.customer_id, read.requested_id, read.merged_into) == ("c-1", "c-old", "c-1")
