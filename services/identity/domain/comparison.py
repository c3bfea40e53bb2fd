"""Comparison vectors: for each field, the agreement level of two prepared records.

Levels are listed from strongest agreement to disagreement; a missing value on either side has
no level (index ``MISSING``) and contributes nothing to the match weight, as in Fellegi–Sunter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from services.identity.domain.addresses import (
    AREA_LEVELS,
    area_level,
    code_level,
    compare_lines,
)
from services.identity.domain.features import PreparedRecord
from services.identity.domain.names import NAME_LEVELS, compare_person_names, org_name_level

MISSING = -1


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """A compared field: its agreement levels and whether common values weigh less (TF)."""

    name: str
    levels: tuple[str, ...]
    term_frequency: bool = False


EXACT_OR_NOT = ("exact", "different")
CODE_LEVELS = ("exact", "typo", "different")
DATE_LEVELS = ("exact", "typo", "day_month_swapped", "year_close", "different")
FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("given_name", NAME_LEVELS, term_frequency=True),
    FieldSpec("family_name", NAME_LEVELS, term_frequency=True),
    FieldSpec("org_name", NAME_LEVELS),
    FieldSpec("birth_date", DATE_LEVELS),
    FieldSpec("gender", EXACT_OR_NOT),
    FieldSpec("street_number", CODE_LEVELS),
    FieldSpec("street", NAME_LEVELS),
    FieldSpec("line2", NAME_LEVELS),
    FieldSpec("area", AREA_LEVELS),  # postcode and locality, jointly
    FieldSpec("state", EXACT_OR_NOT),
    FieldSpec("weak_id", CODE_LEVELS),
    FieldSpec("phone", EXACT_OR_NOT),
    FieldSpec("email", EXACT_OR_NOT),
    FieldSpec("bank_card", EXACT_OR_NOT),
    FieldSpec("digital_id", EXACT_OR_NOT),
)
FIELD_INDEX = {spec.name: i for i, spec in enumerate(FIELDS)}
_INDEX = [{level: i for i, level in enumerate(spec.levels)} for spec in FIELDS]
GIVEN, FAMILY = FIELD_INDEX["given_name"], FIELD_INDEX["family_name"]
# The value whose frequency adjusts the exact level of each term-frequency field.
TF_VALUE: dict[int, Callable[[PreparedRecord], str | None]] = {
    GIVEN: lambda r: r.given.compact if r.given else None,
    FAMILY: lambda r: r.family.compact if r.family else None,
}
if set(TF_VALUE) != {i for i, spec in enumerate(FIELDS) if spec.term_frequency}:
    raise RuntimeError("every term-frequency field needs a TF_VALUE getter")


@dataclass(frozen=True, slots=True)
class Comparison:
    """Level index per field (MISSING when absent) and the shared values used for TF."""

    levels: tuple[int, ...]
    tf_values: tuple[tuple[int, str], ...] = ()  # (field index, agreed value) on exact names
    names_swapped: bool = False


def _ix(field: int, level: str | None) -> int:
    return MISSING if level is None else _INDEX[field][level]


def compare(a: PreparedRecord, b: PreparedRecord) -> Comparison:
    """The comparison vector of two prepared records."""
    given, family, swapped = compare_person_names((a.given, a.family), (b.given, b.family))
    aa, ba = a.address, b.address
    street, line2 = compare_lines(aa, ba)
    named = {
        "given_name": given,
        "family_name": family,
        "org_name": org_name_level(a.org, b.org) if a.org and b.org else None,
        "birth_date": date_level(a.dob, b.dob) if a.dob and b.dob else None,
        "gender": _exact(a.gender, b.gender),
        "street_number": _both(aa.street_number, ba.street_number, code_level),
        "street": street,
        "line2": line2,
        "area": area_level(aa, ba),
        "state": _exact(aa.state, ba.state),
        "weak_id": weak_id_level(a.weak_ids, b.weak_ids),
        "phone": _overlap(a.phones, b.phones),
        "email": _overlap(a.emails, b.emails),
        "bank_card": _overlap(a.bank_cards, b.bank_cards),
        "digital_id": _overlap(a.digital_ids, b.digital_ids),
    }
    levels = tuple(_ix(i, named[spec.name]) for i, spec in enumerate(FIELDS))
    return Comparison(levels, _tf_values(a, levels), swapped)


def _tf_values(a: PreparedRecord, levels: tuple[int, ...]) -> tuple[tuple[int, str], ...]:
    # An exact level means both sides hold the same value, so the left record's is looked up
    # (when the names were swapped, in the table of the field it is compared under).
    out = []
    for i, value_of in TF_VALUE.items():
        if levels[i] == 0:
            value = value_of(a)
            if value:
                out.append((i, value))
    return tuple(out)


def _both(a: str, b: str, level: Callable[[str, str], str]) -> str | None:
    return level(a, b) if a and b else None


def _exact(a: str, b: str) -> str | None:
    if not (a and b):
        return None
    return "exact" if a == b else "different"


def _overlap(a: frozenset[str], b: frozenset[str]) -> str | None:
    if not (a and b):
        return None
    return "exact" if not a.isdisjoint(b) else "different"


def date_level(a: str, b: str) -> str:
    """Birth dates as YYYYMMDD: exact, one-digit typo, day/month swapped, year ±1, different."""
    if a == b:
        return "exact"
    if OSA.distance(a, b, score_cutoff=1) <= 1:
        return "typo"
    if a[:4] == b[:4] and a[4:6] == b[6:8] and a[6:8] == b[4:6]:
        return "day_month_swapped"
    return "year_close" if abs(int(a[:4]) - int(b[:4])) <= 1 else "different"


def weak_id_level(a: Iterable[tuple[str, str]], b: Iterable[tuple[str, str]]) -> str | None:
    """Best agreement between weak ids of the same type (ssn with ssn, never ssn with tax id)."""
    best: str | None = None
    for type_a, value_a in a:
        for type_b, value_b in b:
            if type_a != type_b:
                continue
            if value_a == value_b:
                return "exact"
            typo = OSA.distance(value_a, value_b, score_cutoff=1) <= 1
            best = "typo" if typo or best == "typo" else "different"
    return best
