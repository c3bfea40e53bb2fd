"""Identifier validation: every type accepts its canonical forms and names the rule it rejects."""

from __future__ import annotations

import datetime as dt

import pytest

from services.identity.domain import InvalidIdentifier, Strength, normalize_identifier
from services.identity.domain.china_ids import parse_id_card
from services.identity.domain.identifiers import luhn_ok
from tests.unit.identity.builders import ID_CARD, OTHER_ID_CARD, USCC


@pytest.mark.parametrize(
    ("id_type", "raw", "canonical"),
    [
        ("id_card", ID_CARD, ID_CARD),
        ("id_card", "11010519491231002x", ID_CARD),  # lower-case check character
        ("id_card", " 110105 19491231 002X ", ID_CARD),
        ("id_card", "110105491231002", ID_CARD),  # legacy 15 digits upgraded to 18
        ("uscc", USCC, USCC),
        ("uscc", "91110000600037341l", "91110000600037341L"),
        ("passport", "e1234 5678", "E12345678"),
        ("cif", "cif-0001-2345", "CIF00012345"),
        ("phone", "13812345678", "+8613812345678"),
        ("phone", "+86 138-1234-5678", "+8613812345678"),
        ("phone", "008613812345678", "+8613812345678"),
        ("phone", "010-12345678", "+861012345678"),  # Beijing landline, area code 10
        ("phone", "+1 650 253 0000", "+16502530000"),
        ("email", "Zhang.Wei@Example.COM", "Zhang.Wei@example.com"),
        ("bank_card", "6222 0212 3456 7890 128", "6222021234567890128"),
        ("bank_card", "4111-1111-1111-1111", "4111111111111111"),
        ("mobile_user_id", "u_8F3a", "u_8F3a"),
        (
            "device_id",
            "3F2504E0-4F89-11D3-9A0C-0305E82C3301",
            "3f2504e0-4f89-11d3-9a0c-0305e82c3301",
        ),
        ("ssn", "123-45-6789", "123456789"),
    ],
)
def test_valid_identifiers_are_canonicalized(id_type: str, raw: str, canonical: str) -> None:
    assert normalize_identifier(id_type, raw).value == canonical


@pytest.mark.parametrize(
    ("id_type", "raw", "rule"),
    [
        ("id_card", "110105194912310021", "id_card.check_digit"),
        ("id_card", "11010519491231002", "id_card.length"),
        ("id_card", "11010519491231002A", "id_card.format"),
        ("id_card", "990105194912310028", "id_card.region"),
        ("id_card", "110105194902300028", "id_card.birth_date"),  # 30 February
        ("id_card", "110105209912310024", "id_card.birth_date"),  # born in 2099
        ("uscc", "91350100M000100Y44", "uscc.check_digit"),
        ("uscc", "91350100M000100I43", "uscc.alphabet"),  # I is not in the GB 32100 alphabet
        ("uscc", "91350100M000100Y4", "uscc.length"),
        ("uscc", "913A0100M000100Y43", "uscc.region"),
        ("passport", "E1", "passport.format"),
        ("cif", "##", "cif.format"),
        ("phone", "call me", "phone.format"),
        ("phone", "1381234567", "phone.cn_mobile"),  # a mobile missing a digit
        ("phone", "12345678901", "phone.cn_mobile"),  # 12x is no mobile block
        ("phone", "+44 20 7946 000", "phone.invalid"),
        ("email", "no-at-sign.example.com", "email.local_part"),
        ("email", "a..b@example.com", "email.local_part"),
        ("email", "a@example", "email.domain"),
        ("email", "a@-example.com", "email.domain"),
        ("bank_card", "4111111111111112", "bank_card.luhn"),
        ("bank_card", "41111111111", "bank_card.length"),
        ("bank_card", "4111x11111111111", "bank_card.format"),
        ("device_id", "has space", "device_id.format"),
        ("ssn", "1!", "ssn.format"),
        ("ssn", "   ", "ssn.required"),
    ],
)
def test_invalid_identifiers_name_field_and_rule(id_type: str, raw: str, rule: str) -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        normalize_identifier(id_type, raw)
    assert caught.value.rule == rule
    assert caught.value.field == id_type


def test_unknown_identifier_type_is_rejected() -> None:
    with pytest.raises(InvalidIdentifier) as caught:
        normalize_identifier("library_card", "123")
    assert (caught.value.field, caught.value.rule) == ("type", "identifier.type")


def test_id_card_yields_birth_date_gender_and_region() -> None:
    female = parse_id_card(ID_CARD)
    male = parse_id_card(OTHER_ID_CARD)
    assert (female.birth_date, female.gender, female.region_code) == (
        dt.date(1949, 12, 31),
        "F",
        "110105",
    )
    assert (male.birth_date, male.gender) == (dt.date(1990, 3, 7), "M")


def test_every_single_digit_typo_in_an_id_card_is_caught() -> None:
    for position in range(17):
        digit = int(ID_CARD[position])
        typo = ID_CARD[:position] + str((digit + 1) % 10) + ID_CARD[position + 1 :]
        with pytest.raises(InvalidIdentifier):
            normalize_identifier("id_card", typo)


def test_strength_classes() -> None:
    assert normalize_identifier("id_card", ID_CARD).strength is Strength.STRONG
    assert normalize_identifier("phone", "13812345678").strength is Strength.MEDIUM
    assert normalize_identifier("ssn", "1234567").strength is Strength.WEAK


def test_luhn() -> None:
    assert luhn_ok("79927398713")
    assert not luhn_ok("79927398710")
