"""Names: pinyin and characters, swapped order, typos, diacritics, organization legal forms."""

from __future__ import annotations

import pytest

from services.identity.domain.names import (
    NamePart,
    compare_person_names,
    fold_latin,
    name_level,
    name_part,
    normalize_org_name,
    org_name_level,
    person_name_parts,
    phonetic_key,
    split_han_name,
)


def _part(text: str) -> NamePart:
    part = name_part(text)
    assert part is not None
    return part


def _levels(left: tuple[str | None, ...], right: tuple[str | None, ...]) -> tuple[object, ...]:
    return compare_person_names(person_name_parts(*left), person_name_parts(*right))


def test_han_name_matches_pinyin_in_either_order() -> None:
    han = (None, None, "张伟")
    assert _levels(han, ("Wei", "Zhang", None)) == ("exact", "exact", False)
    assert _levels(han, (None, None, "Zhang Wei")) == ("exact", "exact", True)
    assert _levels(han, (None, None, "Wei Zhang")) == ("exact", "exact", False)
    assert _levels(han, ("伟", "张", None)) == ("exact", "exact", False)


def test_homophone_characters_are_close_not_exact() -> None:
    assert name_level(_part("章"), _part("张")) == "close"  # both zhang
    assert name_level(_part("张"), _part("张")) == "exact"


def test_different_han_names_differ() -> None:
    assert _levels((None, None, "张伟"), (None, None, "李娜")) == ("different", "different", False)


def test_swapped_latin_names() -> None:
    assert _levels(("ryan", "clarke", None), ("clarke", "ryan", None)) == ("exact", "exact", True)


def test_no_swap_when_a_part_is_missing() -> None:
    # Crossing a lone family name with someone's given name would invent agreement.
    assert _levels((None, "ryan", None), ("ryan", "clarke", None)) == (None, "different", False)


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("catherine", "catherine", "exact"),
        ("Mary Ann", "Maryann", "exact"),
        ("José", "jose", "exact"),
        ("O'Brien", "obrien", "exact"),
        ("jonathon", "jonathan", "close"),
        ("katherine", "kathryn", "similar"),
        ("william", "kobe", "different"),
    ],
)
def test_latin_name_levels(a: str, b: str, level: str) -> None:
    assert name_level(_part(a), _part(b)) == level


def test_compound_surname_and_surname_reading() -> None:
    assert split_han_name("欧阳修") == ("欧阳", "修")
    assert split_han_name("王小明") == ("王", "小明")
    family = name_part("单", surname=True)
    assert family is not None and family.latin == "shan"  # not "dan" as in running text
    given, family = person_name_parts(None, None, "曾国藩")
    assert family is not None and family.compact == "zeng"
    assert given is not None and given.compact == "guofan"


def test_fold_latin_and_phonetic_keys() -> None:
    assert fold_latin("  Zoë  Saldaña-Nazario ") == "zoe saldana nazario"
    assert phonetic_key("clarke") == phonetic_key("clarkd") == "c462"
    assert phonetic_key("张") == phonetic_key("zhang")
    assert phonetic_key("smith") != phonetic_key("jones")


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("Acme Trading Co., Ltd.", "acme trading"),
        ("ACME TRADING COMPANY LIMITED", "acme trading"),
        ("北京字节跳动科技有限公司", "北京字节跳动科技"),
        ("华为技术股份有限公司", "华为技术"),
        ("Costco", "costco"),  # "co" is only a suffix as a separate word
    ],
)
def test_organization_legal_forms_are_stripped(raw: str, normalized: str) -> None:
    assert normalize_org_name(raw) == normalized


def test_organization_word_order_is_ignored() -> None:
    a, b = normalize_org_name("Trading Acme Ltd"), normalize_org_name("Acme Trading Inc.")
    assert a and b and org_name_level(a, b) == "close"
