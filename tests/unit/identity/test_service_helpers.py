"""Pure parts of the identity use cases: parsing a batch, what changed, summaries, model TF."""

from __future__ import annotations

import datetime as dt

from services.identity.adapters.records import StoredRecord
from services.identity.domain import default_model
from services.identity.handlers.admin import k_anonymous_frequencies
from services.identity.handlers.common import changed_attributes, summarize
from services.identity.handlers.identify import Outcome, parse
from tests.unit.identity.builders import make_dict, make_prepared, make_record


def test_parse_keeps_order_and_gives_each_bad_record_its_own_error() -> None:
    good = make_dict()
    parsed = parse(
        [good, make_dict(identifiers=[{"type": "phone", "value": "12"}]), good, make_dict()]
    )
    assert [type(p).__name__ for p in parsed] == [
        "PreparedRecord",
        "Outcome",
        "Outcome",
        "PreparedRecord",
    ]
    assert isinstance(parsed[1], Outcome) and parsed[1].errors[0]["field"] == "phone"
    assert isinstance(parsed[2], Outcome) and parsed[2].errors[0]["rule"] == "batch.duplicate"


def test_changed_attributes_name_what_differs() -> None:
    old = make_record(source_record_id="r")
    assert changed_attributes(old, old) == set()
    new = make_record(source_record_id="r", given_name="jon", channel="app")
    assert changed_attributes(old, new) == {"name", "channels"}


def test_the_summary_keeps_the_first_branch_as_home_and_every_channel() -> None:
    def stored(i: int, branch: str, channel: str, year: int) -> StoredRecord:
        at = dt.datetime(year, 1, 1)  # naive, as SQLite returns it
        return StoredRecord(i, "c", "c", "core", str(i), "person", branch, channel, at)

    rows = [stored(1, "0202", "app", 2024), stored(2, "0101", "counter", 2019)]
    summary = summarize(rows)
    assert (summary.home_branch, summary.branches, summary.channels) == (
        "0101",
        ["0101", "0202"],
        ["app", "counter"],
    )


def test_stored_name_frequencies_leave_out_names_fewer_than_k_people_hold() -> None:
    records = [make_prepared(family_name="smith")] * 12 + [make_prepared(family_name="zyx")]
    table = k_anonymous_frequencies(records, 10, fallback=default_model())
    assert set(table["family_name"]) == {"smith"}
    assert table["family_name"]["smith"] == 12 / 13
    rare = k_anonymous_frequencies(records[-1:], 10, fallback=default_model())
    assert rare["family_name"] == default_model().term_frequencies["family_name"]
