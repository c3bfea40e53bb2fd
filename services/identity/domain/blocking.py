"""Blocking keys: the finite set of index keys under which a record is stored and looked up.

The service stores one (keyed hash of key → customer, record) row per key in an indexed table
and fetches candidates with ``key IN (...)``; it never scans customers. The keys contain PII
(birth dates, ids), hence the keyed hash (blind index) before they are stored.

Identifier keys are exact values; every name, date or address key combines two fields, so a
typo in any one field leaves other keys intact, and each key is selective on its own (a birth
date splits ~30,000 ways, a postcode thousands of ways; a Soundex code alone would not). Name
parts enter as an unordered set, so keys survive swapped given/family names. Keys that grow
past ``max_postings`` rows (a common name in one big postcode) carry no information and are
skipped at lookup, which bounds the candidate set. Han names and places are keyed by their
pinyin or characters, not Soundex (see `name_code`); a Han name and its Latin spelling then
share no name key, only identifier keys, so such a pair links on identifiers alone.

Of the records a look-up finds, only the ``max_candidates`` with the most evidence are compared
(a common name in the same decade still finds hundreds): a shared key weighs one over the number
of records stored under it, so rare keys say more, and a record weighs the sum over the keys it
shares. A returning customer shares the rare keys (birth date with name, identifiers) and ranks
first; a namesake shares only the common ones. A key hands out at most one unit of weight over
all its records, so a record alone under one of the probe's keys (a shared identifier, usually)
is outranked by fewer records than the probe has keys: it is always compared while the probe
has no more keys than ``max_candidates``.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

from services.identity.domain.features import PreparedRecord
from services.identity.domain.matching import Candidate
from services.identity.domain.names import NamePart, has_han, phonetic_key

WEIGHT_UNIT = 1 << 20
_AFTER_STORED = 1 << 62  # records added in memory rank after every stored row on ties
_MEDIUM_PREFIX = {"phones": "ph", "emails": "em", "bank_cards": "bc", "digital_ids": "di"}


def blocking_keys(record: PreparedRecord) -> frozenset[str]:
    """Every blocking key of a prepared record."""
    keys = {f"id:{t}:{v}" for t, v in record.strong_ids}
    keys |= {f"wk:{t}:{v}" for t, v in record.weak_ids}
    for attr, prefix in _MEDIUM_PREFIX.items():
        keys |= {f"{prefix}:{v}" for v in getattr(record, attr)}
    if record.kind == "organization":
        return frozenset(keys | _organization_keys(record))
    return frozenset(keys | _person_keys(record))


def name_code(part: NamePart) -> str:
    """The blocking code of a name part: Soundex for Latin names, the pinyin itself for Han.

    Han input has no spelling typos to forgive and homophones (张/章) share their pinyin, while
    Soundex folds li, liu, lu, luo and lei into one code: with Han names it would merge the
    commonest surnames into blocks the size of a city.
    """
    return part.compact if part.han else phonetic_key(part.latin)


def place_code(locality: str) -> str:
    """The blocking code of a locality: Soundex for Latin names, the name itself for Han ones."""
    return locality if has_han(locality) else phonetic_key(locality)


def _person_keys(record: PreparedRecord) -> set[str]:
    codes = {name_code(p) for p in (record.given, record.family) if p}
    codes.discard("")
    addr = record.address
    keys = set()
    for code in codes:
        if record.dob:
            keys.add(f"dn:{record.dob}:{code}")
            keys.add(f"dl:{record.dob}:{code[0]}")  # survives typos after the first letter
        if addr.postcode:
            keys.add(f"pn:{addr.postcode}:{code}")
        if addr.locality:
            keys.add(f"ln:{place_code(addr.locality)}:{code}")
    if len(codes) == 2:  # the full name, order-free, with the birth decade or house number
        name = ":".join(sorted(codes))
        keys.add(f"nm:{name}:{record.dob[:3]}" if record.dob else f"nm:{name}:-")
        if addr.street_number:
            keys.add(f"ns:{name}:{addr.street_number}")
    if addr.street and addr.street_number:
        keys.add(f"ad:{addr.street_number}:{phonetic_key(addr.street)}:{addr.postcode}")
    return keys


def _organization_keys(record: PreparedRecord) -> set[str]:
    if not record.org:
        return set()
    words = record.org.split()
    code = phonetic_key(words[0]) if len(words) > 1 else record.org[:4]
    where = {record.address.postcode, place_code(record.address.locality)} - {""}
    return {f"on:{record.org}"} | {f"ow:{code}:{w}" for w in where}


def key_weight(rows: int) -> int:
    """The evidence in sharing a key stored ``rows`` times: ``WEIGHT_UNIT / rows``, in whole units.

    Whole numbers add up exactly in any order, so the store's ranking and the batch's agree.
    """
    return WEIGHT_UNIT // max(rows, 1)


def shortlist(blocks: Iterable[tuple[int, Iterable[int]]], limit: int) -> list[int]:
    """The ``limit`` record ids with the most weight over ``blocks`` of (key weight, ids).

    An id weighs the sum over the keys it is under; ties go to the lower id (the older row).
    When there are no more than ``limit`` ids, all of them, in no particular order.
    """
    total: dict[int, int] = {}
    for weight, ids in blocks:
        for i in ids:
            total[i] = total.get(i, 0) + weight
    if len(total) <= limit:
        return list(total)
    return heapq.nsmallest(limit, total, key=lambda i: (-total[i], i))


class InMemoryIndex:
    """The key table in memory: the service's indexed table, or the slice of it a batch needs.

    ``postings`` seeds it with rows fetched from the store (key → candidates) for the union of
    a batch's keys, so a batch costs one indexed query instead of one per record; ``sizes``
    says how many rows the store holds under each key (default: as many as seeded), which
    weighs the keys and finds the stop keys. A look-up returns at most ``max_candidates``.
    """

    def __init__(
        self,
        *,
        max_postings: int = 1000,
        max_candidates: int | None = None,
        postings: Mapping[str, Iterable[Candidate]] | None = None,
        sizes: Mapping[str, int] | None = None,
    ) -> None:
        self.max_postings = max_postings
        self.max_candidates = max_candidates
        self._postings: dict[str, list[Candidate]] = defaultdict(list)
        for key, entries in (postings or {}).items():
            self._postings[key].extend(entries)
        self._stored = (
            dict(sizes) if sizes is not None else {k: len(v) for k, v in self._postings.items()}
        )
        self._added: Counter[str] = Counter()
        self._serial = itertools.count(_AFTER_STORED)

    def add(
        self, customer_id: str, record: PreparedRecord, keys: Iterable[str] | None = None
    ) -> None:
        """Store ``record`` of ``customer_id`` under each of its keys."""
        entry = Candidate(customer_id, record, next(self._serial))
        for key in blocking_keys(record) if keys is None else keys:
            self._postings[key].append(entry)
            self._added[key] += 1

    def candidates(
        self, record: PreparedRecord, keys: Iterable[str] | None = None
    ) -> list[Candidate]:
        """Records sharing an informative key with ``record``, each once, the likeliest first.

        Ranked as `shortlist` ranks the store's ids, so the best ``max_candidates`` here are
        among those the store was asked for.
        """
        total: dict[tuple[str, str], int] = {}
        found: dict[tuple[str, str], Candidate] = {}
        for key in blocking_keys(record) if keys is None else keys:
            entries = self._postings.get(key)
            stored = self._stored.get(key, 0)
            if not entries or stored + self._added[key] > self.max_postings:
                continue  # nothing here, or a stop key: as common as a surname in a city
            weight = key_weight(stored)
            for entry in entries:
                name = entry.record.record.key
                if name in total:
                    total[name] += weight
                else:
                    total[name], found[name] = weight, entry
        if len(found) < 2:
            return list(found.values())
        ranked = sorted(found.items(), key=lambda item: (-total[item[0]], item[1].order))
        return [entry for _, entry in ranked[: self.max_candidates]]
