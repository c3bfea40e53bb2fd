"""Plain builders for identity-domain tests: a valid record, overridden where a test cares."""

from __future__ import annotations

import itertools
from typing import Any

from services.identity.domain import PreparedRecord, SourceRecord, prepare, record_from_dict

_ids = itertools.count(1)

ID_CARD = "11010519491231002X"  # the GB 11643 specimen number: born 1949-12-31, female
OTHER_ID_CARD = "110105199003071239"  # valid too: another holder, born 1990-03-07, male
USCC = "91350100M000100Y43"


def make_dict(**attributes: Any) -> dict[str, Any]:
    """A person record in the API's JSON shape; keyword arguments replace attributes.

    ``identifiers``, ``source_system``, ``source_record_id``, ``kind``, ``branch``, ``channel``
    and ``observed_at`` go to the top level; everything else into ``attributes``.
    """
    top_level = {"identifiers", "source_system", "source_record_id", "kind", "branch"}
    top_level |= {"channel", "observed_at"}
    data: dict[str, Any] = {
        "source_system": "core",
        "source_record_id": f"r{next(_ids)}",
        "kind": "person",
        "identifiers": [],
        "attributes": {
            "given_name": "john",
            "family_name": "smith",
            "birth_date": "1980-04-12",
            "address": {
                "street_number": "12",
                "line1": "tullaroop street",
                "locality": "st james",
                "postcode": "4011",
                "state": "wa",
            },
        },
    }
    for key, value in attributes.items():
        (data if key in top_level else data["attributes"])[key] = value
    return data


def make_record(**attributes: Any) -> SourceRecord:
    """A validated source record."""
    return record_from_dict(make_dict(**attributes))


def make_prepared(**attributes: Any) -> PreparedRecord:
    """A prepared (comparison-ready) record."""
    return prepare(make_record(**attributes))
