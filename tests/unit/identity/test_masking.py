"""Masked PII: recognisable for a clerk, useless to anyone who copies it."""

from __future__ import annotations

import pytest

from services.identity.domain import (
    Address,
    mask_address,
    mask_full_name,
    mask_identifier,
    mask_person_name,
    normalize_identifier,
)
from tests.unit.identity.builders import ID_CARD


@pytest.mark.parametrize(
    ("id_type", "raw", "masked"),
    [
        ("id_card", "110105199003071239", "110105********1239"),
        ("id_card", ID_CARD, "110105********002X"),
        ("phone", "13812345678", "138****5678"),
        ("phone", "+44 7911 123456", "+44 791****3456"),
        ("email", "zhang.wei@Example.com", "z***@example.com"),
        ("bank_card", "6222021234567890128", "622202*********0128"),
        ("passport", "E12345678", "E*****678"),
        ("ssn", "123456789", "*****6789"),
    ],
)
def test_identifier_masks(id_type: str, raw: str, masked: str) -> None:
    assert mask_identifier(normalize_identifier(id_type, raw)) == masked


def test_masked_id_card_hides_the_birth_date() -> None:
    assert "19491231" not in mask_identifier(normalize_identifier("id_card", ID_CARD))


@pytest.mark.parametrize(
    ("given", "family", "masked"),
    [
        ("伟", "张", "张*"),
        ("小明", "王", "王**"),
        ("John", "Smith", "J*** Smith"),
        (None, "Smith", "Smith"),
    ],
)
def test_person_name_masks(given: str | None, family: str, masked: str) -> None:
    assert mask_person_name(given, family) == masked


@pytest.mark.parametrize(
    ("full", "masked"), [("张伟", "张*"), ("欧阳修", "欧阳*"), ("John Smith", "J*** Smith")]
)
def test_full_name_masks(full: str, masked: str) -> None:
    assert mask_full_name(full) == masked


def test_address_keeps_only_the_locality() -> None:
    address = Address(street_number="6", line1="建国路 88 号", locality="朝阳区", postcode="100022")
    assert mask_address(address) == "朝阳区"
    assert mask_address(None) == ""
