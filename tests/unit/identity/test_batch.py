"""A batch answers exactly as the same records sent one by one."""

from __future__ import annotations

import itertools

from services.identity.domain import (
    Candidate,
    Decision,
    InMemoryIndex,
    batch_keys,
    default_model,
    resolve,
    resolve_batch,
)
from tests.unit.identity.builders import make_prepared

MODEL = default_model()


def test_batch_equals_one_by_one_and_sees_its_own_earlier_records() -> None:
    stored = make_prepared(given_name="mary", family_name="jones", birth_date="1970-01-01")
    batch = [
        make_prepared(),  # new
        make_prepared(given_name="jonh"),  # the first record of this batch, with a typo
        make_prepared(given_name="mary", family_name="jones", birth_date="1970-01-01"),
    ]
    rows = {key: [Candidate("stored-1", stored)] for key in batch_keys([stored])}
    fetched = {key: rows[key] for key in batch_keys(batch) if key in rows}
    counter = itertools.count(1)
    index = InMemoryIndex(postings=fetched)
    items = resolve_batch(batch, MODEL, index=index, new_customer_id=lambda r: f"n{next(counter)}")
    assert [(i.customer_id, i.created) for i in items] == [
        ("n1", True),
        ("n1", False),
        ("stored-1", False),
    ]
    assert items[1].result.decision is Decision.LINK

    index = InMemoryIndex()
    index.add("stored-1", stored)
    one_by_one = []
    for n, record in enumerate(batch, start=1):
        result = resolve(record, index.candidates(record), MODEL)
        customer = result.customer_id if result.decision is Decision.LINK else f"n{n}"
        index.add(customer or f"n{n}", record)
        one_by_one.append(result)
    assert [i.result for i in items] == one_by_one
