"""Identifier validation and normalization, and how much each identifier type proves.

Strength is a matching decision, not a format property:

* STRONG (``id_card``, ``uscc``, ``passport``, ``cif``): issued to one holder, so a shared value
  links deterministically. Two different values of the same strong type block an automatic
  link. For ``id_card`` and ``uscc`` (one per person or entity for life, check-digit protected)
  the block is absolute: a new customer. A person can hold a renewed passport or a duplicate
  legacy CIF, so for ``passport`` and ``cif`` a conflict demotes a link to review.
* MEDIUM (``phone``, ``email``, ``bank_card``, ``mobile_user_id``, ``device_id``): shared by
  families and companies, recycled by carriers; only Fellegi–Sunter evidence and a blocking key.
* WEAK (``ssn``, ``tax_id``, ``social_insurance``, ``driver_license``): no check digit, so typos
  survive validation; compared with a typo level and weighed like any other field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers

from services.identity.domain.china_ids import normalize_uscc, parse_id_card
from services.identity.domain.errors import InvalidIdentifier


class Strength(StrEnum):
    """How much a shared identifier value proves."""

    STRONG = "strong"
    MEDIUM = "medium"
    WEAK = "weak"


STRENGTH: dict[str, Strength] = {
    "id_card": Strength.STRONG,
    "uscc": Strength.STRONG,
    "passport": Strength.STRONG,
    "cif": Strength.STRONG,
    "phone": Strength.MEDIUM,
    "email": Strength.MEDIUM,
    "bank_card": Strength.MEDIUM,
    "mobile_user_id": Strength.MEDIUM,
    "device_id": Strength.MEDIUM,
    "ssn": Strength.WEAK,
    "tax_id": Strength.WEAK,
    "social_insurance": Strength.WEAK,
    "driver_license": Strength.WEAK,
}
HARD_CONFLICT_TYPES = frozenset({"id_card", "uscc"})  # a conflict means: another holder
SOFT_CONFLICT_TYPES = frozenset({"passport", "cif"})  # a conflict means: ask a person

_SEPARATORS = re.compile(r"[\s\-./]")
_EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_DOMAIN_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_OPAQUE = re.compile(r"^[\x21-\x7e]{1,128}$")  # printable ASCII, no spaces


@dataclass(frozen=True, slots=True, order=True)
class Identifier:
    """A validated identifier in canonical form."""

    type: str
    value: str

    @property
    def strength(self) -> Strength:
        """Whether a shared value links (strong) or only counts as evidence."""
        return STRENGTH[self.type]


def normalize_identifier(id_type: str, value: object) -> Identifier:
    """Validate ``value`` as an identifier of ``id_type``; raise InvalidIdentifier if it is not."""
    kind = id_type.strip().lower()
    if kind not in STRENGTH:
        raise InvalidIdentifier("type", "identifier.type", f"unknown identifier type {id_type!r}")
    if not isinstance(value, str) or not value.strip():
        raise InvalidIdentifier(kind, f"{kind}.required", "the value is missing or not a string")
    return Identifier(kind, _NORMALIZERS.get(kind, _normalize_weak)(value, kind))


def _normalize_id_card(value: str, _kind: str) -> str:
    return parse_id_card(value).number


def _normalize_uscc(value: str, _kind: str) -> str:
    return normalize_uscc(value)


def _normalize_passport(value: str, kind: str) -> str:
    text = _SEPARATORS.sub("", value).upper()
    if not re.fullmatch(r"[A-Z0-9]{5,20}", text):
        raise InvalidIdentifier(kind, "passport.format", "5-20 letters or digits")
    return text


def _normalize_cif(value: str, kind: str) -> str:
    text = _SEPARATORS.sub("", value).upper()
    if not re.fullmatch(r"[A-Z0-9]{4,32}", text):
        raise InvalidIdentifier(kind, "cif.format", "4-32 letters or digits")
    return text


def _normalize_phone(value: str, kind: str) -> str:
    """E.164; numbers without a country code are read as mainland numbers."""
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        raise InvalidIdentifier(kind, "phone.format", "not a phone number") from None
    national = str(number.national_number)
    if number.country_code == 86 and national.startswith("1") and not national.startswith("10"):
        # A mainland number starting with 1 (10 is Beijing's area code) is a mobile: 11 digits
        # in an allocated 1[3-9]x block. Checked first to name the rule a clerk can act on.
        if len(national) != 11:
            raise InvalidIdentifier(kind, "phone.cn_mobile", "a mainland mobile has 11 digits")
        if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
            raise InvalidIdentifier(kind, "phone.cn_mobile", "not an allocated mobile block")
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentifier(kind, "phone.invalid", "not a number in its country's plan")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _normalize_email(value: str, kind: str) -> str:
    """Syntax check; the domain is lower-cased, the local part kept (RFC 5321 case rule)."""
    text = value.strip()
    local, sep, domain = text.rpartition("@")
    if not sep or not local or len(local) > 64 or not _EMAIL_LOCAL.match(local):
        raise InvalidIdentifier(kind, "email.local_part", "malformed part before @")
    labels = domain.lower().split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels):
        raise InvalidIdentifier(kind, "email.domain", "malformed domain")
    if labels[-1].isdigit():
        raise InvalidIdentifier(kind, "email.domain", "the top-level domain is numeric")
    return f"{local}@{'.'.join(labels)}"


def luhn_ok(digits: str) -> bool:
    """True when the digit string passes the Luhn (mod 10) check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _normalize_bank_card(value: str, kind: str) -> str:
    text = _SEPARATORS.sub("", value)
    if not text.isdigit():
        raise InvalidIdentifier(kind, "bank_card.format", "digits only")
    if not 12 <= len(text) <= 19:
        raise InvalidIdentifier(kind, "bank_card.length", "12-19 digits")
    if not luhn_ok(text):
        raise InvalidIdentifier(kind, "bank_card.luhn", "Luhn check digit does not match")
    return text


def _normalize_opaque(value: str, kind: str) -> str:
    text = value.strip()
    if not _OPAQUE.match(text):
        raise InvalidIdentifier(kind, f"{kind}.format", "1-128 printable characters, no spaces")
    # Device ids are hex/UUID strings whose case varies by platform; user ids are exact.
    return text.lower() if kind == "device_id" else text


def _normalize_weak(value: str, kind: str) -> str:
    text = _SEPARATORS.sub("", value).upper()
    if not re.fullmatch(r"[A-Z0-9]{3,32}", text):
        raise InvalidIdentifier(kind, f"{kind}.format", "3-32 letters or digits")
    return text


_NORMALIZERS = {
    "id_card": _normalize_id_card,
    "uscc": _normalize_uscc,
    "passport": _normalize_passport,
    "cif": _normalize_cif,
    "phone": _normalize_phone,
    "email": _normalize_email,
    "bank_card": _normalize_bank_card,
    "mobile_user_id": _normalize_opaque,
    "device_id": _normalize_opaque,
}
