"""Blocking keys: true matches keep a shared key after any single error; strangers share none."""

from __future__ import annotations

import random
from typing import Any

import pytest

from services.identity.domain import Candidate, InMemoryIndex, blocking_keys
from services.identity.domain.blocking import key_weight, shortlist
from tests.unit.identity.builders import ID_CARD, make_prepared

BASE: dict[str, Any] = {
    "given_name": "catherine",
    "family_name": "harrington",
    "birth_date": "1961-07-23",
    "address": {
        "street_number": "48",
        "line1": "goldfinch circuit",
        "locality": "canterbury",
        "postcode": "2776",
        "state": "vic",
    },
    "identifiers": [("ssn", "2635962")],
}
ADDRESS = BASE["address"]

SINGLE_ERRORS: dict[str, dict[str, Any]] = {
    "given typo": {"given_name": "katherine"},
    "family typo at the start": {"family_name": "barrington"},
    "family missing": {"family_name": None},
    "names swapped": {"given_name": "harrington", "family_name": "catherine"},
    "other birth date": {"birth_date": "1971-03-02"},
    "no birth date": {"birth_date": None},
    "moved": {
        "address": {
            "street_number": "3",
            "line1": "light street",
            "postcode": "3212",
            "locality": "windermere",
            "state": "nsw",
        }
    },
    "postcode typo": {"address": {**ADDRESS, "postcode": "2767"}},
    "other ssn": {"identifiers": [("ssn", "9004242")]},
    "no ssn": {"identifiers": []},
}


def _keys(**changes: Any) -> frozenset[str]:
    return blocking_keys(make_prepared(**{**BASE, **changes}))


@pytest.mark.parametrize("error", sorted(SINGLE_ERRORS))
def test_one_error_leaves_a_shared_key(error: str) -> None:
    assert _keys() & _keys(**SINGLE_ERRORS[error])


def test_two_errors_still_share_a_key() -> None:
    moved_and_renamed = {**SINGLE_ERRORS["moved"], "family_name": "barrington"}
    assert _keys() & _keys(**moved_and_renamed)


def test_strangers_share_no_key() -> None:
    stranger = {
        "given_name": "lachlan",
        "family_name": "berry",
        "birth_date": "1999-02-19",
        "address": {
            "street_number": "69",
            "line1": "giblin street",
            "locality": "bittern",
            "postcode": "4814",
            "state": "qld",
        },
        "identifiers": [("ssn", "7364009")],
    }
    assert not _keys() & _keys(**stranger)


def test_keys_are_deterministic_and_each_combines_two_fields() -> None:
    keys = _keys()
    assert keys == _keys()
    # A key on one attribute alone (a surname code) would select millions of rows.
    assert all(key.count(":") >= 2 for key in keys)


def test_han_and_pinyin_spellings_share_keys() -> None:
    han = blocking_keys(make_prepared(given_name=None, family_name=None, full_name="张伟"))
    latin = blocking_keys(make_prepared(given_name="Wei", family_name="Zhang"))
    assert han & latin


def test_strong_identifier_is_a_key_whatever_else_differs() -> None:
    a = blocking_keys(make_prepared(identifiers=[("id_card", ID_CARD)]))
    b = blocking_keys(
        make_prepared(
            given_name="x",
            family_name="y",
            birth_date=None,
            address=None,
            identifiers=[("id_card", ID_CARD.lower())],
        )
    )
    assert a & b == {f"id:id_card:{ID_CARD}"}


def test_index_returns_each_candidate_once_and_skips_stop_keys() -> None:
    index = InMemoryIndex(max_postings=2)
    base = make_prepared(**BASE)
    index.add("c1", base)
    assert [c.customer_id for c in index.candidates(make_prepared(**BASE))] == ["c1"]
    # Three namesakes born the same day: the shared keys become stop keys; the ssn does not.
    for i in range(2):
        index.add(f"n{i}", make_prepared(**{**BASE, "identifiers": [("ssn", f"55555{i}")]}))
    found = index.candidates(make_prepared(**{**BASE, "identifiers": [("ssn", "555550")]}))
    assert [c.customer_id for c in found] == ["n0"]


def test_shortlist_weighs_rare_keys_above_many_common_ones() -> None:
    blocks = [
        (key_weight(1000), [1, 2, 3, 4, 5]),  # a common name: five of its thousand records
        (key_weight(900), [1, 2, 3, 4, 5]),
        (key_weight(2), [5, 6]),  # a birth date with the name: two records
    ]
    assert shortlist(blocks, 2) == [5, 6]
    assert shortlist(blocks, 3) == [5, 6, 1]
    assert sorted(shortlist(blocks, 6)) == [1, 2, 3, 4, 5, 6]
    # Equal weights: the lower id (the older row) first, whatever order the blocks list them in.
    assert shortlist([(1, [9, 7, 8])], 2) == [7, 8]


def test_a_record_alone_under_a_key_always_makes_a_shortlist_as_long_as_the_keys() -> None:
    rng = random.Random(7)
    for _ in range(200):
        keys = rng.randrange(2, 15)
        blocks = []
        for _ in range(keys - 1):  # crowded keys: namesakes sharing several of them
            size = rng.randrange(2, 60)
            blocks.append((key_weight(size), rng.sample(range(1, 80), min(size, 79))))
        blocks.append((key_weight(1), [999]))  # the one record under an identifier
        assert 999 in shortlist(blocks, keys)


def test_index_compares_only_the_likeliest_candidates() -> None:
    namesakes = [
        Candidate(f"n{i}", make_prepared(**{**BASE, "birth_date": f"196{i}-01-0{i + 1}"}), i)
        for i in range(6)
    ]
    same = Candidate("same", make_prepared(**BASE), 99)  # the last stored: it loses every tie
    postings: dict[str, list[Candidate]] = {}
    for entry in [*namesakes, same]:
        for key in blocking_keys(entry.record):
            postings.setdefault(key, []).append(entry)
    sizes = {key: len(entries) * 100 for key, entries in postings.items()}  # a big store
    index = InMemoryIndex(max_candidates=2, postings=postings, sizes=sizes)

    found = index.candidates(make_prepared(**{**BASE, "identifiers": []}))

    assert len(found) == 2 and found[0].customer_id == "same"
    assert len(InMemoryIndex(postings=postings, sizes=sizes).candidates(make_prepared(**BASE))) == 7


def test_organization_spellings_share_a_key_and_never_meet_people() -> None:
    def org(name: str) -> frozenset[str]:
        return blocking_keys(
            make_prepared(kind="organization", full_name=name, address={"postcode": "100022"})
        )

    assert org("Acme Trading Co., Ltd.") & org("ACME TRADING LIMITED")
    assert not org("Acme Trading Co., Ltd.") & org("Zenith Foods Ltd")
    person = blocking_keys(make_prepared(given_name="acme", family_name="trading"))
    assert not org("Acme Trading Co., Ltd.") & person
