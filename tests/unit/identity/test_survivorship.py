"""Golden records: trust, then recency, then completeness; the same answer in any order."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from services.identity.domain import SurvivorshipPolicy, build_golden_record
from tests.unit.identity.builders import ID_CARD, make_record

POLICY = SurvivorshipPolicy(source_trust={"core": 0, "crm": 1, "web": 2})
JAN, JUN = "2024-01-01T00:00:00+00:00", "2024-06-01T00:00:00+00:00"


def test_most_trusted_source_wins_over_a_newer_one() -> None:
    core = make_record(source_system="core", given_name="john", observed_at=JAN)
    web = make_record(source_system="web", given_name="johnny", observed_at=JUN)
    golden = build_golden_record([web, core], POLICY)
    assert golden.given_name == "john"
    assert golden.provenance["name"] == core.key


def test_among_equally_trusted_sources_the_newest_wins() -> None:
    old = make_record(source_system="crm", birth_date="1980-04-12", observed_at=JAN)
    new = make_record(source_system="crm", birth_date="1980-04-21", observed_at=JUN)
    assert build_golden_record([old, new], POLICY).birth_date == dt.date(1980, 4, 21)


def test_among_equally_trusted_and_recent_the_most_complete_wins() -> None:
    sparse = make_record(source_system="crm", observed_at=JAN, address={"locality": "perth"})
    full = make_record(
        source_system="crm",
        observed_at=JAN,
        address={"line1": "1 hay street", "locality": "perth", "postcode": "6000"},
    )
    golden = build_golden_record([sparse, full], POLICY)
    assert golden.address == full.address


def test_a_missing_value_falls_through_to_the_next_source() -> None:
    core = make_record(source_system="core", birth_date=None, gender=None)
    web = make_record(source_system="web", gender="F")
    golden = build_golden_record([core, web], POLICY)
    assert (golden.gender, golden.birth_date) == ("F", dt.date(1980, 4, 12))
    assert golden.provenance["gender"] == web.key


def test_name_parts_come_from_one_record() -> None:
    core = make_record(source_system="core", given_name=None, family_name="smith")
    web = make_record(source_system="web", given_name="john", family_name="smyth")
    golden = build_golden_record([core, web], POLICY)
    assert (golden.given_name, golden.family_name) == (None, "smith")


def test_result_does_not_depend_on_record_order() -> None:
    records = [
        make_record(source_system="crm", given_name="jon", observed_at=JAN, branch="0102"),
        make_record(
            source_system="crm",
            given_name="john",
            observed_at=JAN,
            branch="0101",
            identifiers=[("phone", "13812345678")],
        ),
        make_record(source_system="web", channel="app", identifiers=[("id_card", ID_CARD)]),
    ]
    goldens = {repr(build_golden_record(list(p), POLICY)) for p in itertools.permutations(records)}
    assert len(goldens) == 1


def test_identifiers_branches_and_completeness() -> None:
    opened = make_record(
        branch="0101", channel="counter", observed_at=JAN, identifiers=[("phone", "13812345678")]
    )
    later = make_record(
        branch="0202",
        channel="app",
        observed_at=JUN,
        identifiers=[("id_card", ID_CARD), ("phone", "13912345678")],
    )
    golden = build_golden_record([later, opened], POLICY)
    assert golden.home_branch == "0101"  # where the first account was opened
    assert golden.branches == ("0101", "0202")
    assert golden.channels == ("app", "counter")
    assert [i.type for i in golden.identifiers] == ["id_card", "phone", "phone"]
    assert golden.completeness == 1.0  # the ID card number supplied the gender
    name_only = make_record(birth_date=None, address=None)
    assert build_golden_record([name_only], POLICY).completeness == pytest.approx(1 / 6, abs=1e-3)


def test_unmerge_is_a_rebuild_from_each_sides_records() -> None:
    mine = [make_record(source_system="core", given_name="john")]
    theirs = [make_record(source_system="crm", given_name="jane")]
    merged = build_golden_record(mine + theirs, POLICY)
    assert merged.given_name == "john"
    assert build_golden_record(theirs, POLICY).given_name == "jane"


def test_unknown_sources_rank_last_and_no_records_is_an_error() -> None:
    unknown = make_record(source_system="spreadsheet", given_name="j")
    web = make_record(source_system="web", given_name="john")
    assert build_golden_record([unknown, web], POLICY).given_name == "john"
    with pytest.raises(ValueError):
        build_golden_record([], POLICY)
