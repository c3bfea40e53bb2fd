"""Address normalization and comparison levels."""

from __future__ import annotations

from services.identity.domain import Address
from services.identity.domain.addresses import (
    code_level,
    compare_lines,
    normalize_address,
    normalize_state,
    normalize_text,
)


def test_abbreviations_expand() -> None:
    assert normalize_text("12 Smith St.") == normalize_text("12 smith street") == "12 smith street"
    assert normalize_text("Giblin Rd") == "giblin road"
    assert normalize_text("Maltby Cct") == "maltby circuit"
    assert normalize_text("Apt 5, Bega Flats") == "unit 5 bega flats"


def test_leading_st_is_saint() -> None:
    assert normalize_text("St James") == "saint james"
    assert normalize_text("St. Kilda Rd") == "saint kilda road"


def test_han_addresses_lose_spaces_and_punctuation() -> None:
    assert normalize_text("建国路 88号， 朝阳区") == "建国路88号朝阳区"


def test_states_and_postcodes() -> None:
    assert normalize_state("New South Wales") == normalize_state("NSW") == "nsw"
    assert normalize_state("广东省") == normalize_state("广东") == "广东"
    address = normalize_address(Address(postcode="sw1a 1aa", street_number="No. 12"))
    assert (address.postcode, address.street_number) == ("SW1A1AA", "12")


def test_code_levels() -> None:
    assert code_level("4011", "4011") == "exact"
    assert code_level("2706", "2760") == "typo"  # adjacent transposition
    assert code_level("2706", "2806") == "typo"
    assert code_level("2706", "3121") == "different"


def test_swapped_address_lines_compare_crosswise() -> None:
    a = normalize_address(Address(line1="hawker place", line2="chippendale village"))
    b = normalize_address(Address(line1="chippendale village", line2="hawkekr place"))
    assert compare_lines(a, b) == ("close", "exact")  # line1 vs line2, line2 vs line1
    c = normalize_address(Address(line1="hawker place"))
    assert compare_lines(a, c) == ("exact", None)
