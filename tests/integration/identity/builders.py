"""Plain builders of identity API records with random, valid identifiers."""

from __future__ import annotations

import random
import uuid
from typing import Any

_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
_CHECK = "10X98765432"


def id_card(birth: str | None = None, region: str = "110105", sequence: int | None = None) -> str:
    """A valid mainland ID number (GB 11643 check character); birth date and sequence random
    unless given (a thousand sequences alone gave two tests of a run the same card ~1 in 7)."""
    birth = birth or birth_date().replace("-", "")
    body = region + birth + f"{random.randrange(1000) if sequence is None else sequence:03d}"
    return body + _CHECK[sum(int(d) * w for d, w in zip(body, _WEIGHTS, strict=True)) % 11]


def mobile() -> str:
    """A random mainland mobile number in an allocated block."""
    return f"+86138{random.randrange(10**8):08d}"


def birth_date() -> str:
    """A random birth date between 1940 and 2005 (few other test records share it)."""
    year, month = random.randrange(1940, 2006), random.randrange(1, 13)
    return f"{year}-{month:02d}-{random.randrange(1, 29):02d}"


def word(n: int = 8) -> str:
    """A random lower-case word (a name nobody else in the database has)."""
    return "".join(random.choice("bcdfghjklmnpqrstvwxyz") for _ in range(n))


def person(**overrides: Any) -> dict[str, Any]:
    """A person record with unique names, address and record id; overrides replace parts.

    ``identifiers``, ``source_system``, ``source_record_id``, ``branch``, ``channel`` and
    ``observed_at`` go to the top level; everything else into ``attributes``.
    """
    top = {"identifiers", "source_system", "source_record_id", "branch", "channel"}
    top |= {"observed_at", "kind"}
    record: dict[str, Any] = {
        "source_system": "core",
        "source_record_id": uuid.uuid4().hex,
        "kind": "person",
        "branch": "0101",
        "channel": "counter",
        "identifiers": [],
        "attributes": {
            "given_name": word(),
            "family_name": word(),
            "birth_date": birth_date(),
            "gender": "M",
            "address": {
                "street_number": str(random.randrange(1, 300)),
                "line1": f"{word(6)} street",
                "locality": word(7),
                "postcode": f"{random.randrange(1000, 9999)}",
                "state": "nsw",
            },
        },
    }
    for key, value in overrides.items():
        (record if key in top else record["attributes"])[key] = value
    return record


def same_person_elsewhere(record: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """The same person as another source system holds them (a new record id)."""
    copy: dict[str, Any] = {
        **record,
        "attributes": dict(record["attributes"]),
        "source_system": "mobile",
        "source_record_id": uuid.uuid4().hex,
    }
    top = {"identifiers", "source_system", "source_record_id", "branch", "channel", "observed_at"}
    for key, value in overrides.items():
        (copy if key in top else copy["attributes"])[key] = value
    return copy
