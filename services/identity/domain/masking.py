"""Masking of PII for callers without ``pii:read``: enough to recognise, not enough to reuse."""

from __future__ import annotations

import phonenumbers

from services.identity.domain.identifiers import Identifier
from services.identity.domain.names import has_han, split_han_name
from services.identity.domain.records import Address


def _keep_ends(value: str, head: int, tail: int) -> str:
    """Keep ``head`` and ``tail`` characters; too short a value is masked entirely."""
    if len(value) <= head + tail:
        return "*" * len(value)
    return value[:head] + "*" * (len(value) - head - tail) + value[len(value) - tail :]


def mask_id_card(value: str) -> str:
    """``110105********1234``: region and last four stay, the birth date goes."""
    return _keep_ends(value, 6, 4)


def mask_phone(value: str) -> str:
    """``138****5678`` for a mainland number, ``+44 791****123`` style for others."""
    try:
        number = phonenumbers.parse(value, "CN")
    except phonenumbers.NumberParseException:
        return _keep_ends(value, 0, 4)
    national = str(number.national_number)
    masked = national[:3] + "****" + national[-4:] if len(national) > 7 else "*" * len(national)
    return masked if number.country_code == 86 else f"+{number.country_code} {masked}"


def mask_email(value: str) -> str:
    """``z***@example.com``: first letter of the mailbox, the domain intact."""
    local, _, domain = value.rpartition("@")
    return f"{local[:1]}***@{domain}" if local else "***"


def mask_bank_card(value: str) -> str:
    """Card BIN (issuer) and last four, as printed on receipts."""
    return _keep_ends(value, 6, 4)


def mask_passport(value: str) -> str:
    """First letter (the passport series) and last three characters."""
    return _keep_ends(value, 1, 3)


def mask_opaque(value: str) -> str:
    """Last four characters of any other identifier."""
    return _keep_ends(value, 0, 4)


_IDENTIFIER_MASKS = {
    "id_card": mask_id_card,
    "uscc": mask_id_card,
    "phone": mask_phone,
    "email": mask_email,
    "bank_card": mask_bank_card,
    "passport": mask_passport,
}


def mask_identifier(identifier: Identifier) -> str:
    """Mask an identifier according to its type."""
    return _IDENTIFIER_MASKS.get(identifier.type, mask_opaque)(identifier.value)


def mask_person_name(given: str | None, family: str | None) -> str:
    """``张*`` for Chinese names (surname kept), ``J*** Smith`` for Latin ones."""
    given, family = (given or "").strip(), (family or "").strip()
    if has_han(given + family):
        return family + "*" * max(len(given), 1)
    initial = f"{given[:1]}***" if given else ""
    return " ".join(p for p in (initial, family) if p) or "***"


def mask_full_name(full_name: str) -> str:
    """Mask a one-field name: ``张*``, ``欧阳*``, ``J*** Smith``."""
    text = full_name.strip()
    if has_han(text):
        family, given = split_han_name(text)
        return family + "*" * max(len(given), 1)
    parts = text.split()
    return mask_person_name(parts[0], " ".join(parts[1:])) if len(parts) > 1 else "***"


def mask_address(address: Address | None) -> str:
    """Only the locality (city) survives, or the state when there is none."""
    if address is None:
        return ""
    return address.locality or address.state or ""
