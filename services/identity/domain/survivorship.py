"""Survivorship: the golden record of a customer, rebuilt from its source records.

A pure function of the records and the policy, independent of their order, so a merge is undone
by rebuilding each side from its own records. For every attribute the value comes from the best
record that has one, ranked by source trust, then recency (``observed_at``), then completeness;
remaining ties fall to the record key so the result is deterministic. The name parts travel
together (one record's given name with another's family name would describe nobody).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from services.identity.domain.identifiers import Identifier
from services.identity.domain.records import Address, SourceRecord

_OLDEST = dt.datetime.min.replace(tzinfo=dt.UTC)
_CORE = ("name", "birth_date", "gender", "address", "identity_document", "contact")


@dataclass(frozen=True, slots=True)
class SurvivorshipPolicy:
    """Trust rank per source system: lower is more trusted; unknown systems rank last."""

    source_trust: Mapping[str, int] = field(default_factory=dict)
    unknown_rank: int = 1_000_000

    def rank(self, source_system: str) -> int:
        """The trust rank of a source system."""
        return self.source_trust.get(source_system, self.unknown_rank)


@dataclass(frozen=True, slots=True)
class GoldenRecord:
    """The best current view of one customer, with where each attribute came from."""

    kind: str
    given_name: str | None
    family_name: str | None
    full_name: str | None
    birth_date: dt.date | None
    gender: str | None
    address: Address | None
    identifiers: tuple[Identifier, ...]
    home_branch: str | None  # the branch of the earliest record: where the account was opened
    branches: tuple[str, ...]
    channels: tuple[str, ...]
    provenance: Mapping[str, tuple[str, str]]  # attribute → (source system, record id)
    completeness: float  # share of core attributes present (ID-9 profile completeness)


def _filled(record: SourceRecord) -> int:
    values = (record.given_name, record.family_name, record.full_name, record.birth_date)
    extra = (record.gender, record.address, record.branch)
    return sum(1 for v in values + extra if v) + len(record.identifiers)


def _name_size(record: SourceRecord) -> int:
    return sum(1 for v in (record.given_name, record.family_name, record.full_name) if v)


def _address_size(record: SourceRecord) -> int:
    return record.address.filled() if record.address else 0


def ranked(
    records: Sequence[SourceRecord],
    policy: SurvivorshipPolicy,
    size: Callable[[SourceRecord], int] = _filled,
) -> list[SourceRecord]:
    """Records from most to least preferred: trust, recency, completeness, then record key.

    ``size`` measures completeness of the attribute being chosen (address parts, name parts);
    the record's overall completeness breaks the remaining ties.
    """
    return sorted(
        records,
        key=lambda r: (
            policy.rank(r.source_system),
            -(r.observed_at or _OLDEST).timestamp(),
            -size(r),
            -_filled(r),
            r.key,
        ),
    )


# attribute → (has a value, completeness of that value)
_ATTRIBUTES: dict[str, tuple[Callable[[SourceRecord], object], Callable[[SourceRecord], int]]] = {
    "name": (_name_size, _name_size),
    "birth_date": (lambda r: r.birth_date, _filled),
    "gender": (lambda r: r.gender, _filled),
    "address": (lambda r: r.address, _address_size),
}


def build_golden_record(
    records: Sequence[SourceRecord], policy: SurvivorshipPolicy | None = None
) -> GoldenRecord:
    """Build the golden record of one customer from all of its source records."""
    if not records:
        raise ValueError("a golden record needs at least one source record")
    policy = policy or SurvivorshipPolicy()
    chosen: dict[str, SourceRecord] = {}
    for name, (has_value, size) in _ATTRIBUTES.items():
        best = next((r for r in ranked(records, policy, size) if has_value(r)), None)
        if best is not None:
            chosen[name] = best
    named, born = chosen.get("name"), chosen.get("birth_date")
    gender, lived = chosen.get("gender"), chosen.get("address")
    identifiers = _identifiers(ranked(records, policy))
    home, branches, channels = branch_summary(records)
    return GoldenRecord(
        kind=ranked(records, policy)[0].kind,
        given_name=named.given_name if named else None,
        family_name=named.family_name if named else None,
        full_name=named.full_name if named else None,
        birth_date=born.birth_date if born else None,
        gender=gender.gender if gender else None,
        address=lived.address if lived else None,
        identifiers=identifiers,
        home_branch=home,
        branches=branches,
        channels=channels,
        provenance={name: record.key for name, record in chosen.items()},
        completeness=_completeness(chosen, identifiers),
    )


def _identifiers(order: list[SourceRecord]) -> tuple[Identifier, ...]:
    """Every distinct identifier, grouped by type, the best record's values first."""
    seen: dict[Identifier, int] = {}
    for position, record in enumerate(order):
        for identifier in record.identifiers:
            seen.setdefault(identifier, position)
    return tuple(sorted(seen, key=lambda i: (i.type, seen[i], i.value)))


def branch_summary(
    records: Sequence[SourceRecord],
) -> tuple[str | None, tuple[str, ...], tuple[str, ...]]:
    """Home branch, every branch and every channel: the golden record's non-PII facts."""
    branches = tuple(sorted({r.branch for r in records if r.branch}))
    channels = tuple(sorted({r.channel for r in records if r.channel}))
    return _home_branch(records), branches, channels


def _home_branch(records: Sequence[SourceRecord]) -> str | None:
    """The branch of the earliest observed record (undated records count as latest)."""
    dated = [r for r in records if r.branch]
    dated.sort(key=lambda r: (r.observed_at is None, r.observed_at or _OLDEST, r.key))
    return dated[0].branch if dated else None


def _completeness(chosen: Mapping[str, SourceRecord], identifiers: tuple[Identifier, ...]) -> float:
    types = {i.type for i in identifiers}
    present = sum(1 for name in _ATTRIBUTES if name in chosen)
    present += bool(types & {"id_card", "passport", "uscc"}) + bool(types & {"phone", "email"})
    return round(present / len(_CORE), 3)
