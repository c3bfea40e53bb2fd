"""Mainland China identity numbers: resident ID card (GB 11643) and USCC (GB 32100).

Both carry a check character, so a single mistyped character or an adjacent transposition is
caught here rather than silently stored and later mismatched.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.identity.domain.errors import InvalidIdentifier

# GB/T 2260 province-level codes (first two digits); 71/81/82/83 are Taiwan, Hong Kong, Macao
# and the residence permits of their residents, which share the same number format.
PROVINCE_CODES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46}
    | {50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83}
)
_ID_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_ID_CHECK = "10X98765432"
_EARLIEST_BIRTH = dt.date(1890, 1, 1)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z: they read like digits
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@dataclass(frozen=True, slots=True)
class IdCardInfo:
    """What an 18-character resident ID number says about its holder."""

    number: str
    region_code: str
    birth_date: dt.date
    gender: str  # "M" or "F"


def id_card_check_char(first17: str) -> str:
    """The GB 11643 (ISO 7064 MOD 11-2) check character of the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def parse_id_card(raw: str, *, today: dt.date | None = None) -> IdCardInfo:
    """Validate a resident ID number (18 chars, or a legacy 15-digit one) and decode it."""
    value = raw.strip().replace(" ", "").upper()
    if len(value) == 15 and value.isdigit():
        # Legacy first-generation cards: 2-digit year, no check digit; upgrade to 18.
        value = value[:6] + "19" + value[6:]
        value += id_card_check_char(value)
    if len(value) != 18:
        raise InvalidIdentifier("id_card", "id_card.length", "an ID card number has 18 characters")
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise InvalidIdentifier("id_card", "id_card.format", "17 digits then a digit or X")
    if int(value[:2]) not in PROVINCE_CODES:
        raise InvalidIdentifier("id_card", "id_card.region", "unknown province code")
    birth = _id_card_birth_date(value[6:14], today or dt.date.today())
    if id_card_check_char(value[:17]) != value[17]:
        raise InvalidIdentifier("id_card", "id_card.check_digit", "check digit does not match")
    gender = "M" if int(value[16]) % 2 == 1 else "F"
    return IdCardInfo(number=value, region_code=value[:6], birth_date=birth, gender=gender)


def _id_card_birth_date(digits: str, today: dt.date) -> dt.date:
    try:
        birth = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        raise InvalidIdentifier("id_card", "id_card.birth_date", "not a calendar date") from None
    if not _EARLIEST_BIRTH <= birth <= today:
        raise InvalidIdentifier("id_card", "id_card.birth_date", "birth date out of range")
    return birth


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters of a USCC."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def normalize_uscc(raw: str) -> str:
    """Validate a unified social credit code and return it upper-cased."""
    value = raw.strip().replace(" ", "").upper()
    if len(value) != 18:
        raise InvalidIdentifier("uscc", "uscc.length", "a USCC has 18 characters")
    if any(c not in USCC_ALPHABET for c in value):
        raise InvalidIdentifier("uscc", "uscc.alphabet", "only digits and GB 32100 letters")
    if not value[2:8].isdigit():
        raise InvalidIdentifier("uscc", "uscc.region", "characters 3-8 are a region code")
    if uscc_check_char(value[:17]) != value[17]:
        raise InvalidIdentifier("uscc", "uscc.check_digit", "check character does not match")
    return value
