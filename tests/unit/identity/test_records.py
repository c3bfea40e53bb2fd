"""Source records from the API's JSON shape: validation, derived attributes, round trip."""

from __future__ import annotations

import datetime as dt

import pytest

from services.identity.domain import (
    InvalidAttribute,
    InvalidIdentifier,
    record_from_dict,
    record_to_dict,
)
from tests.unit.identity.builders import ID_CARD, make_dict


def test_round_trip_through_dict() -> None:
    data = make_dict(
        identifiers=[{"type": "phone", "value": "+8613812345678"}],
        branch="0101",
        channel="counter",
        observed_at="2024-05-01T08:00:00+00:00",
        gender="F",
    )
    record = record_from_dict(data)
    assert record_from_dict(record_to_dict(record)) == record
    assert record.observed_at == dt.datetime(2024, 5, 1, 8, tzinfo=dt.UTC)


def test_id_card_fills_missing_birth_date_and_gender() -> None:
    record = record_from_dict(
        make_dict(birth_date=None, identifiers=[{"type": "id_card", "value": ID_CARD.lower()}])
    )
    assert record.birth_date == dt.date(1949, 12, 31)
    assert record.gender == "F"
    assert record.values_of("id_card") == (ID_CARD,)


def test_given_birth_date_is_kept() -> None:
    record = record_from_dict(make_dict(identifiers=[{"type": "id_card", "value": ID_CARD}]))
    assert record.birth_date == dt.date(1980, 4, 12)


def test_invalid_identifier_in_a_record_is_rejected() -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        record_from_dict(
            make_dict(identifiers=[{"type": "id_card", "value": "110105194912310021"}])
        )
    assert caught.value.rule == "id_card.check_digit"


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"birth_date": "12/04/1980"}, "birth_date", "birth_date.format"),
        ({"birth_date": "2999-01-01"}, "birth_date", "birth_date.range"),
        ({"gender": "x"}, "gender", "gender.enum"),
        ({"kind": "robot"}, "kind", "kind.enum"),
        ({"source_system": " "}, "source_system", "source_system.required"),
        ({"observed_at": "yesterday"}, "observed_at", "observed_at.format"),
        ({"given_name": None, "family_name": None}, "attributes", "record.empty"),
    ],
)
def test_invalid_attributes_name_field_and_rule(
    overrides: dict[str, object], field: str, rule: str
) -> None:
    with pytest.raises(InvalidAttribute) as caught:
        record_from_dict(make_dict(**overrides))
    assert (caught.value.field, caught.value.rule) == (field, rule)


def test_text_is_cleaned_and_duplicates_dropped() -> None:
    record = record_from_dict(
        make_dict(
            given_name="  Ｊｏｈｎ   Paul ",  # full-width letters, stray spaces
            gender="男",
            identifiers=[("ssn", "123-456"), ("ssn", "123456")],
        )
    )
    assert record.given_name == "John Paul"
    assert record.gender == "M"
    assert len(record.identifiers) == 1
